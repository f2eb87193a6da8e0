"""Kept for branches written before ``services.common.pagination`` served every list: use that module.

Delete once no branch in flight imports it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.common.pagination import PageParams, by_time, cut
from services.common.pagination import keyset as _keyset

__all__ = ["cut", "keyset"]


def keyset(stmt: sa.Select[Any], at: Any, key: Any, paging: PageParams, *, newest_first: bool = True) -> sa.Select[Any]:
    """``services.common.pagination.keyset`` over ``(at, key)``."""
    return _keyset(stmt, paging, *by_time(at, key, newest_first=newest_first))
