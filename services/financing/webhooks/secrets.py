"""Endpoint secrets and their rotation.

A rotation gives the endpoint a new secret and retires the current one with a promise: it keeps signing,
beside the new one, until ``now + FINANCING_SECRET_ROTATION_OVERLAP_SECONDS``. Every promise is kept, however
many rotations follow within the overlap: a bank that rotated twice still verifies with the first secret until
its promised expiry. At most ``MAX_SIGNING`` secrets sign at once (each delivery carries one signature per
secret), so a rotation that would retire one more is refused with 409 until the oldest expires.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from services.common.problems import conflict

SECRET_BYTES = 32
MAX_SIGNING = 5


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def live_retired(retired: list[dict[str, str]] | None, now: datetime) -> list[dict[str, str]]:
    """The retired secrets still signing at ``now``, soonest to expire first."""
    return sorted(
        (r for r in retired or [] if datetime.fromisoformat(r["expires_at"]) > now), key=lambda r: r["expires_at"]
    )


def signing_secrets(current: str, retired: list[dict[str, str]] | None, now: datetime) -> list[str]:
    """The secrets every delivery is signed with: the current one, then each retired one still promised."""
    return [current, *(r["secret"] for r in live_retired(retired, now))]


def rotate(endpoint: Any, now: datetime, overlap: timedelta) -> datetime:
    """Retire ``endpoint.secret`` until ``now + overlap`` and give it a new one; returns that expiry.

    Raises ProblemError(409) when ``MAX_SIGNING`` secrets would sign at once.
    """
    still = live_retired(endpoint.retired_secrets, now)
    if len(still) + 1 >= MAX_SIGNING:
        raise conflict(
            f"{len(still) + 1} secrets sign this endpoint's deliveries already; rotate again after "
            f"{still[0]['expires_at']}, when the oldest expires.",
            slug="too-many-secrets",
        )
    expires_at = now + overlap
    endpoint.retired_secrets = [*still, {"secret": endpoint.secret, "expires_at": expires_at.isoformat()}]
    endpoint.secret = new_secret()
    return expires_at
