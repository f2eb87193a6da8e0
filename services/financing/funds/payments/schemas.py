"""Payments out of allocations, their evidence, payees and reversals, as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.credit_code import CreditCode
from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.funds.programs.schemas import FundUse


class PaymentStatus(StrEnum):
    """A payment's state: `recorded` 已支付, `reversed` 已冲正 (its amount is back in the allocation)."""

    recorded = "recorded"
    reversed = "reversed"


class EvidenceKind(StrEnum):
    """What proves a payment: `contract` 合同, `invoice` 发票, `payroll` 工资发放表, `progress_certificate`
    工程量确认单 or 进度款审核单, `receipt` 收款凭证 or 银行回单, `other` 其他."""

    contract = "contract"  # 合同
    invoice = "invoice"  # 发票
    payroll = "payroll"  # 工资发放表
    progress_certificate = "progress_certificate"  # 工程量确认单, 进度款审核单
    receipt = "receipt"  # 收款凭证, 银行回单
    other = "other"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EvidenceKind
    reference: Annotated[str, Field(min_length=1, max_length=200, examples=["SG-2025-0412"])]


class Payee(BaseModel):
    """Who was paid: a company or other organisation with a unified social credit code."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, examples=["示范建工集团有限公司"])]
    credit_code: CreditCode


class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": "3200000.00",
                    "paid_on": "2025-04-18",
                    "use": "construction",
                    "payee": {"name": "示范建工集团有限公司", "credit_code": "91370600MA3C4D5E6J"},
                    "liability_incurred_on": "2025-03-31",
                    "evidence": [{"kind": "progress_certificate", "reference": "JD-2025-03-07"}],
                    "description": "3号楼主体结构进度款",
                }
            ]
        },
    )

    amount: PositiveMoney = Field(description="Yuan; an allocation's payments never add up to more than it.")
    paid_on: Day = Field(description="Not in the future, not before the allocation.")
    use: FundUse = Field(description="Must be one of the program's `eligible_uses` (专款专用).")
    payee: Payee
    liability_incurred_on: Day = Field(
        description="When the debt paid arose; not after `paid_on`, and not before the program's `cutover_date` "
        "(新老划断: no old debts)."
    )
    evidence: Annotated[list[Evidence], Field(min_length=1, max_length=10)]
    description: Annotated[str, Field(min_length=1, max_length=500, examples=["3号楼主体结构进度款"])] | None = None


class PaymentRead(BaseModel):
    id: str
    allocation_id: str
    program_id: str
    project_id: str
    district: str
    amount: MoneyRead
    paid_on: date
    use: FundUse
    payee: Payee
    liability_incurred_on: date
    evidence: list[Evidence]
    description: str | None
    status: PaymentStatus
    reversal_reason: str | None
    reversed_at: datetime | None
    created_at: datetime


class PaymentReversalCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "收款单位账户信息有误，资金退回"}]}
    )

    reason: Annotated[str, Field(min_length=1, max_length=500, examples=["收款单位账户信息有误，资金退回"])]
