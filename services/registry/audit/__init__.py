"""The registry's audit log. ``record`` is re-exported here because every registry domain writes through it
(``from services.registry import audit; await audit.record(...)``)."""

from services.registry.audit.service import Entry, changed_fields, record, record_diff, record_many

__all__ = ["Entry", "changed_fields", "record", "record_diff", "record_many"]
