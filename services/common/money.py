"""Money: ``Decimal`` in Python, a two-place decimal string in JSON, exact in every database. Never a float.

The money contract: an amount has at most 16 integer digits and two decimal places (``MAX_AMOUNT``), written
in ASCII digits. Whatever the services store or send as one amount (a line, a disbursement, a project's
credit and funding position) stays within it; sums over many projects (``MoneyTotal``) may be wider.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")
# [0-9], not \d: Python's \d and Decimal() also take full-width and other scripts' digits.
_MONEY_RE = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,2})?")
MONEY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"


def parse_money(value: Any, *, allow_negative: bool = False) -> Decimal:
    """A decimal string with at most two places; a JSON number is refused so no float ever enters."""
    if isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError('money must be a decimal string such as "125000000.00"')
    if not _MONEY_RE.fullmatch(text):
        raise ValueError('money must be a decimal string with at most two decimal places, such as "1250.50"')
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a decimal amount") from exc
    if amount < 0 and not allow_negative:
        raise ValueError("money must not be negative")
    return amount.quantize(CENT)


def format_money(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def _positive(value: Any) -> Decimal:
    amount = parse_money(value)
    if amount <= 0:
        raise ValueError("the amount must be greater than zero")
    return amount


_serializer = PlainSerializer(format_money, return_type=str, when_used="always")

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    _serializer,
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["125000000.00"]}),
]
"""A non-negative amount in yuan."""

PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_positive),
    _serializer,
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["5000000.00"]}),
]
"""An amount in yuan greater than zero."""


class DecimalColumn(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; a scaled integer on SQLite, whose NUMERIC affinity would go through a float."""

    impl = Numeric(18, 2)
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self.quantum = Decimal(1).scaleb(-scale)
        self.factor = 10**scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(self.quantum)
        if dialect.name == "sqlite":
            return int((value * self.factor).to_integral_exact())
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self.factor).quantize(self.quantum)
        return Decimal(value).quantize(self.quantum)


def MoneyColumn() -> DecimalColumn:
    """Money in yuan with two places."""
    return DecimalColumn(18, 2)


MoneyRead = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]{1,16}\.[0-9]{2}$", "examples": ["125000000.00"]}),
]
"""An amount the service reads back from its database: already two places, so pydantic-core prints it as is."""

MoneyTotal = Annotated[
    Decimal,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]+\.[0-9]{2}$",
            "examples": ["1250000000.00"],
            "description": "A sum over many projects: exact, two places, as many digits as it takes.",
        }
    ),
]
"""A sum over many projects, read back from the database: exact, and not bound to the 16 digits of an amount."""


class money_sum(FunctionElement[Decimal]):
    """``sum()`` of a non-negative money column, exact on every database.

    PostgreSQL sums NUMERIC exactly. SQLite keeps money as 64-bit integers of fen and its ``sum()`` raises past
    about 9.2e16 yuan, so there the column is summed in two parts that cannot overflow and joined as text.
    """

    type = MoneyColumn()
    name = "money_sum"
    inherit_cache = True


@compiles(money_sum)
def _money_sum(element: money_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


_PART = 10**9


@compiles(money_sum, "sqlite")
def _money_sum_sqlite(element: money_sum, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    high, low = f"sum(({value}) / {_PART})", f"sum(({value}) % {_PART})"
    # high + low's carry, then low's remainder as nine digits: the decimal text of the exact sum of fen.
    return f"(CAST({high} + {low} / {_PART} AS TEXT) || printf('%09d', {low} % {_PART}))"
