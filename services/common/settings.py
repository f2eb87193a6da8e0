"""Configuration from environment variables.

Each service reads its own settings with its prefix (``REGISTRY_``, ``RISK_``, ``FINANCING_``); the settings
every service shares start with ``HANDOVER_``. Development defaults let one command run everything; a
production start with the development secrets refuses to run.
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# Signs the services' own tokens to each other when user tokens are RS256 (see docs/adr/0007).
DEV_SERVICE_TOKEN_SECRET = "dev-only-service-token-secret-change-me-01234"
MIN_RSA_BITS = 2048
# A valid whsec_ secret (base64 of 32 bytes) used only in development.
DEV_EVENTS_SECRET = "whsec_ZGV2LW9ubHktZXZlbnRzLXNlY3JldC0wMTIzNDU2Nzg5YWI="


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Subscriber(BaseModel):
    """A peer service that receives some event types at its inbox."""

    url: str
    types: list[str]


def _shared(name: str) -> Any:
    return AliasChoices(f"HANDOVER_{name}")


class ServiceSettings(BaseSettings):
    """Settings every service has; subclasses set ``env_prefix`` and their defaults."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    environment: Environment = Field(Environment.development, validation_alias=_shared("ENV"))
    jwt_secret: str = Field(DEV_JWT_SECRET, validation_alias=_shared("JWT_SECRET"))
    jwt_public_key: str | None = Field(None, validation_alias=_shared("JWT_PUBLIC_KEY"))
    service_token_secret: str = Field(
        DEV_SERVICE_TOKEN_SECRET, min_length=1, validation_alias=_shared("SERVICE_TOKEN_SECRET")
    )
    jwt_issuer: str | None = Field(None, validation_alias=_shared("JWT_ISSUER"))
    jwt_audience: str | None = Field(None, validation_alias=_shared("JWT_AUDIENCE"))
    jwt_max_lifetime_seconds: int = Field(86_400, ge=60, validation_alias=_shared("JWT_MAX_LIFETIME_SECONDS"))
    events_secret: str = Field(DEV_EVENTS_SECRET, validation_alias=_shared("EVENTS_SECRET"))
    registry_url: str = Field("http://127.0.0.1:8001", validation_alias=_shared("REGISTRY_URL"))
    risk_url: str = Field("http://127.0.0.1:8002", validation_alias=_shared("RISK_URL"))
    financing_url: str = Field("http://127.0.0.1:8003", validation_alias=_shared("FINANCING_URL"))
    webhook_allow_private: bool = Field(False, validation_alias=_shared("WEBHOOK_ALLOW_PRIVATE"))
    log_level: str = Field("INFO", validation_alias=_shared("LOG_LEVEL"))
    peer_timeout_seconds: float = Field(5.0, validation_alias=_shared("PEER_TIMEOUT_SECONDS"))
    city_utc_offset_hours: int = Field(
        8, ge=-12, le=14, validation_alias=_shared("CITY_UTC_OFFSET_HOURS"), description="The city's offset from UTC."
    )

    cors_origins: list[str] = Field(
        default_factory=list,
        validation_alias=_shared("CORS_ORIGINS"),
        description="Origins whose browser scripts may call the service (CORS).",
    )

    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    migrate_on_start: bool = True
    run_dispatcher: bool = True
    max_body_bytes: int = 1_048_576
    subscribers: list[Subscriber] = Field(default_factory=list)
    dispatch_poll_seconds: float = 0.5
    dispatch_batch_size: int = 200
    dispatch_concurrency: int = 32
    # Seconds between retries; the last value repeats until ``dispatch_give_up_after_seconds``.
    dispatch_backoff_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 43200.0]
    )
    dispatch_give_up_after_seconds: float = 4 * 24 * 3600
    dispatch_lease_seconds: float = 60

    @field_validator("jwt_public_key")
    @classmethod
    def _rsa_public_key(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        # An environment variable often carries the PEM's line breaks as the two characters \n.
        pem = value.strip().replace("\\n", "\n")
        try:
            key = load_pem_public_key(pem.encode())
        except ValueError as exc:
            raise ValueError("HANDOVER_JWT_PUBLIC_KEY is not a PEM public key") from exc
        if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_BITS:
            raise ValueError(f"HANDOVER_JWT_PUBLIC_KEY must be an RSA key of {MIN_RSA_BITS} bits or more")
        return pem

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^/?#\s]+", origin):
                raise ValueError(
                    f"HANDOVER_CORS_ORIGINS: {origin!r} is not an origin such as https://ledger.example.gov.cn"
                )
        return value

    @field_validator("events_secret")
    @classmethod
    def _whsec(cls, value: str) -> str:
        if not value.startswith("whsec_"):
            raise ValueError("HANDOVER_EVENTS_SECRET must be a whsec_ secret (whsec_ + base64 of 24 or more bytes)")
        try:
            key = base64.b64decode(value.removeprefix("whsec_") + "==")
        except binascii.Error as exc:
            raise ValueError("HANDOVER_EVENTS_SECRET is not valid base64 after whsec_") from exc
        if len(key) < 24:
            raise ValueError("HANDOVER_EVENTS_SECRET must carry at least 24 bytes")
        return value

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> ServiceSettings:
        if self.environment is Environment.production:
            # With a public key the JWT secret verifies nothing; the service token secret takes its place.
            if self.jwt_public_key:
                if _weak(self.service_token_secret, DEV_SERVICE_TOKEN_SECRET):
                    raise ValueError(
                        "HANDOVER_SERVICE_TOKEN_SECRET must be a real secret of 32 or more characters in production"
                    )
            elif _weak(self.jwt_secret, DEV_JWT_SECRET):
                raise ValueError("HANDOVER_JWT_SECRET must be a real secret of 32 or more characters in production")
            if self.events_secret == DEV_EVENTS_SECRET:
                raise ValueError("HANDOVER_EVENTS_SECRET is the development secret; set a real one in production")
        return self

    def sqlite_default(self, name: str) -> str:
        """The embedded default database: one SQLite file per service under ./var/ of the working directory."""
        return f"sqlite+aiosqlite:///{Path('var').resolve() / f'{name}.db'}"


def _weak(secret: str, development: str) -> bool:
    return secret == development or len(secret) < 32 or "REPLACE" in secret
