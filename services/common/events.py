"""The event catalogue shared by every service."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    project_facts_changed = "project.facts_changed"
    project_risk_tier_changed = "project.risk_tier_changed"
    whitelist_entry_pushed = "whitelist.entry_pushed"
    whitelist_entry_removed = "whitelist.entry_removed"
    whitelist_bank_decision_recorded = "whitelist.bank_decision_recorded"
    credit_line_approved = "credit_line.approved"
    disbursement_recorded = "disbursement.recorded"
    disbursement_reversed = "disbursement.reversed"
    fund_allocated = "fund.allocated"
    fund_payment_recorded = "fund.payment_recorded"
    fund_payment_reversed = "fund.payment_reversed"
    approval_decided = "approval.decided"
    approval_overdue = "approval.overdue"
    approval_supplement_overdue = "approval.supplement_overdue"
    coordination_item_overdue = "coordination_item.overdue"
    finding_overdue = "finding.overdue"
    finding_closed = "finding.closed"
    project_stop_work_changed = "project.stop_work_changed"
