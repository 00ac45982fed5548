"""Settings for every service, read from environment variables (pydantic-settings).

Common settings use the ``REMEDIUM_`` prefix; each service's database URL is
``<SERVICE>_DATABASE_URL`` (e.g. ``INTAKE_DATABASE_URL``), defaulting to a SQLite file in the
data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REMEDIUM_", extra="ignore")

    data_dir: Path = Path("data")
    databases: dict[str, str] = Field(
        default_factory=dict, description="explicit database URL per service name (tests, tools)"
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_request_timeout_ms: int = 10_000
    kafka_max_poll_interval_ms: int = 300_000
    consumer_group_prefix: str = Field(
        default="remedium", description="consumer groups are <prefix>.<service>.<projection>"
    )
    auth_database_url: str | None = None
    vault_master_key: str | None = Field(
        default=None, description="base64 32-byte key wrapping every per-person data key"
    )
    relay_enabled: bool = True
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=0.5, gt=0)
    snapshot_every: int = Field(default=100, ge=2)
    deadline_check_interval_s: float = Field(
        default=60.0, gt=0, description="how often monitoring looks for overdue actions"
    )
    feed_dispatch_interval_s: float = Field(
        default=0.5, gt=0, description="how often the feed looks for due webhook deliveries"
    )
    feed_max_attempts: int = Field(default=15, ge=1, description="attempts before a dead letter")
    feed_retry_base_s: float = Field(default=1.0, gt=0, description="first retry's longest wait")
    feed_retry_max_s: float = Field(default=3600.0, gt=0, description="cap of a retry's wait")
    feed_request_timeout_s: float = Field(default=10.0, gt=0)
    feed_parallel_requests: int = Field(default=8, ge=1, description="lanes sent at once")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    idempotency_ttl_hours: int = 24
    log_level: str = "INFO"
    gateway_upstreams: dict[str, str] = Field(
        default_factory=dict,
        description='the gateway\'s services, e.g. {"intake": "http://127.0.0.1:8000"} (JSON)',
    )
    gateway_timeout_s: float = Field(default=30.0, gt=0)

    def database_url(self, service: str) -> str:
        """``<SERVICE>_DATABASE_URL`` or ``sqlite:///<data_dir>/<service>.db``."""
        explicit = self.databases.get(service) or os.environ.get(f"{service.upper()}_DATABASE_URL")
        return explicit or self._sqlite_url(service)

    def auth_url(self) -> str:
        return self.databases.get("auth") or self.auth_database_url or self._sqlite_url("auth")

    def _sqlite_url(self, name: str) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / f'{name}.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
