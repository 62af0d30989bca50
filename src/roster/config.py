"""Settings, read from the environment (prefix ``ROSTER_``) or a ``.env`` file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_WINDOW_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """``"600/minute"`` → ``(600, 60)``: requests allowed and window length in seconds."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"rate must look like '600/minute', got {text!r}")
    return int(match.group(1)), _WINDOW_SECONDS[match.group(2)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTER_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file roster.db in data_dir"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    default_region: str = Field(default="US", description="Region for phones without '+'")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="One JSON object per line, or readable text; default: text on a "
        "terminal, JSON otherwise",
    )

    max_body_bytes: int = 32 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024 * 1024
    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, description="All request header names and values together"
    )
    max_json_depth: int = Field(default=32, ge=1, le=512)
    dialects: str = Field(
        default="yebolink,yoursend,channel,lynkist,omnichannel",
        description="Comma-separated dialects served under /compat/<name> (empty: none)",
    )
    rate_limit: str = "600/minute"
    dialect_channel_rate_limit: str = Field(
        default="200/minute",
        description="Requests per credential under /compat/channel (its document's limit), "
        "on top of the credential's own limit",
    )
    auth_failure_limit: str = Field(
        default="30/minute",
        description="Failed authentications per client address; past it a failure is a 429",
    )
    db_pool_size: int = 10
    db_statement_timeout_ms: int = 10_000
    # Bounds on waiting for a database that is down or hung (see docs/operations.md).
    db_connect_timeout: float = Field(default=2.0, gt=0, description="Seconds to open one")
    db_pool_timeout: float = Field(default=2.0, gt=0, description="Seconds to wait for a free one")
    db_ping_timeout: float = Field(
        default=1.0, gt=0, description="Seconds a pooled connection has to answer its check"
    )

    # Edge: JWT, rate limits, idempotency, metrics (see docs/configuration.md, "Edge").
    jwt_secret: str | None = Field(default=None, description="HS256 shared secret")
    jwt_public_key: str | None = Field(default=None, description="PEM public key (RS256/ES256)")
    jwt_jwks_file: Path | None = Field(default=None, description="JWKS file (RS256/ES256)")
    jwt_issuer: str | None = Field(default=None, description="Required `iss` when set")
    jwt_audience: str | None = Field(default=None, description="Required `aud` when set")
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)
    redis_url: str | None = Field(default=None, description="Shared rate-limit counters")
    metrics_token: str | None = Field(default=None, description="Bearer token for /metrics")
    idempotency_ttl: int = Field(default=86_400, ge=60, description="Seconds a key is kept")
    events_retention_days: int = Field(default=30, ge=1)
    webhooks_allow_private: bool = Field(
        default=False, description="Let webhooks reach loopback/private addresses (development)"
    )
    # Seconds to wait before each retry (about 3 days in all); jitter of ±20 % is added.
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,50400,72000,72000"
    webhook_connect_timeout: float = 5.0
    webhook_timeout: float = 15.0
    webhook_lease: float = Field(
        default=120.0,
        description="Seconds a worker holds a delivery it is sending; after a "
        "crash the delivery is sent again once this runs out. Must exceed webhook_timeout.",
    )
    webhook_concurrency: int = Field(default=64, ge=1)
    webhook_endpoint_concurrency: int = Field(default=8, ge=1)
    webhook_disable_after: float = Field(
        default=5 * 86400, description="Seconds of unbroken failure before an endpoint is disabled"
    )
    relay_interval: float = Field(default=0.05, gt=0, description="Seconds between relay polls")
    relay_listen: bool = Field(
        default=True,
        description="PostgreSQL: an idle relay LISTENs for other processes' commits (a "
        "connection of its own, with a session advisory lock); off behind a "
        "transaction-pooling proxy, where the relay then only polls",
    )
    embedded_relay: bool | None = Field(
        default=None,
        description="Deliver webhooks inside `roster serve` (default on); set false when "
        "dedicated `roster relay` processes deliver them",
    )
    # Background jobs (imports, bulk actions); see docs/bulk.md.
    embedded_worker: bool | None = Field(
        default=None,
        description="Run a job worker inside `roster serve` (default on); set false when "
        "dedicated `roster worker` processes run the jobs",
    )
    worker_poll_seconds: float = 1.0
    job_heartbeat_seconds: float = 5.0
    job_stale_seconds: float = 60.0
    job_max_attempts: int = 5
    import_chunk_rows: int = 2000
    import_processes: int = Field(
        default=-1,
        ge=-1,
        description="Processes that validate import rows; 0 = in-process (a thread); "
        "-1 = one per core (at most 4) for files of 20,000 rows or more",
    )

    # The web console (docs/console.md).
    console_session_idle: int = Field(
        default=12 * 3600, ge=1, description="Seconds a console session lasts unused"
    )

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        value = value.strip().upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r}")
        return value

    @field_validator("rate_limit", "auth_failure_limit", "dialect_channel_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("dialects")
    @classmethod
    def _dialects(cls, value: str) -> str:
        known = ("yebolink", "yoursend", "channel", "lynkist", "omnichannel")
        for name in (part.strip() for part in value.split(",")):
            if name and name not in known:
                raise ValueError(f"unknown dialect {name!r} (known: {', '.join(known)})")
        return value

    @property
    def dialect_names(self) -> tuple[str, ...]:
        """The dialects to mount, in the order given, each once."""
        names = [part.strip() for part in self.dialects.split(",") if part.strip()]
        return tuple(dict.fromkeys(names))

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        delays = [float(part) for part in value.split(",") if part.strip()]
        if not delays or any(d < 0 for d in delays):
            raise ValueError("a comma-separated list of non-negative seconds")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_timeout(self) -> Settings:
        if self.webhook_lease <= self.webhook_timeout:
            raise ValueError("webhook_lease must exceed webhook_timeout")
        return self

    @property
    def retry_delays(self) -> list[float]:
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    @cached_property
    def url(self) -> str:
        """The database URL with the async driver each engine needs."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'roster.db').resolve()}"
        url = self.database_url
        for prefix, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        return url

    def engine_options(self) -> dict[str, Any]:
        """The keyword arguments of ``roster.kit.db.create_engine`` taken from settings."""
        return {
            "statement_timeout_ms": self.db_statement_timeout_ms,
            "connect_timeout": self.db_connect_timeout,
            "pool_timeout": self.db_pool_timeout,
            "ping_timeout": self.db_ping_timeout,
        }

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def runs_embedded_worker(self) -> bool:
        """Whether ``roster serve`` runs jobs in-process: one process does everything unless
        told that dedicated workers exist."""
        return self.embedded_worker is not False

    @property
    def runs_embedded_relay(self) -> bool:
        """Whether ``roster serve`` delivers webhooks in-process (no ``roster relay`` needed)."""
        return self.embedded_relay is not False

    @property
    def imports_dir(self) -> Path:
        return self.data_dir / "imports"
