"""The registry's audit log. ``record`` is re-exported here because every registry domain writes through it
(``from services.registry import audit; await audit.record(...)``)."""

from services.registry.audit.service import changed_fields, record, record_diff

__all__ = ["changed_fields", "record", "record_diff"]
