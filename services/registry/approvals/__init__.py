"""Approvals on the working-day clock: 容缺受理, 并联审批 and the green channel."""
