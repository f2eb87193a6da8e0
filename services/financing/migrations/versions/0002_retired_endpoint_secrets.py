"""every retired endpoint secret keeps signing until its promised expiry

A rotation within the overlap used to drop the secret retired before it. The one ``previous_secret`` column
becomes ``retired_secrets``, a list of ``{"secret", "expires_at"}``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00
"""

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENDPOINTS = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.String),
    sa.column("previous_secret", sa.String),
    sa.column("previous_secret_expires_at", UTCDateTime()),
    sa.column("retired_secrets", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch_op:
        batch_op.add_column(sa.Column("retired_secrets", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_ENDPOINTS.c.id, _ENDPOINTS.c.previous_secret, _ENDPOINTS.c.previous_secret_expires_at).where(
            _ENDPOINTS.c.previous_secret.is_not(None), _ENDPOINTS.c.previous_secret_expires_at.is_not(None)
        )
    ).all()
    for row in rows:
        retired = [{"secret": row.previous_secret, "expires_at": row.previous_secret_expires_at.isoformat()}]
        connection.execute(sa.update(_ENDPOINTS).where(_ENDPOINTS.c.id == row.id).values(retired_secrets=retired))
    with op.batch_alter_table("webhook_endpoints") as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret")


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch_op:
        batch_op.add_column(sa.Column("previous_secret", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_ENDPOINTS.c.id, _ENDPOINTS.c.retired_secrets)).all():
        retired = row.retired_secrets if isinstance(row.retired_secrets, list) else json.loads(row.retired_secrets)
        if retired:
            # One column holds one secret: keep the one promised longest.
            last = max(retired, key=lambda r: r["expires_at"])
            connection.execute(
                sa.update(_ENDPOINTS)
                .where(_ENDPOINTS.c.id == row.id)
                .values(
                    previous_secret=last["secret"],
                    previous_secret_expires_at=datetime.fromisoformat(last["expires_at"]),
                )
            )
    with op.batch_alter_table("webhook_endpoints") as batch_op:
        batch_op.drop_column("retired_secrets")
