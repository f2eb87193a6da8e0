"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check character.

Registry checks developers' codes and financing checks the payees of policy-fund payments with the same rules.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters. Raises ValueError on a character outside the alphabet."""
    total = 0
    for char, weight in zip(first17, WEIGHTS, strict=True):
        index = ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not allowed in a unified social credit code")
        total += index * weight
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the code upper-cased, or raise ValueError saying what is wrong with it."""
    code = code.strip().upper()
    if len(code) != 18:
        raise ValueError("a unified social credit code has 18 characters")
    if not code[2:8].isdigit():
        raise ValueError("characters 3 to 8 of a unified social credit code are the region's digits")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValueError(f"the check character should be {expected!r}, not {code[17]!r}")
    return code


CreditCode = Annotated[
    str,
    Field(min_length=18, max_length=18, description="统一社会信用代码: 18 characters, the last a check character."),
    AfterValidator(validate),
]
"""A unified social credit code in a request: checked, and upper-cased."""
