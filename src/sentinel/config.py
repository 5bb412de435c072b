"""Settings: environment variables with the SENTINEL_ prefix, a .env file, and the brief's names."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sentinel import __version__


def _env(name: str, *aliases: str) -> AliasChoices:
    """Accept SENTINEL_<NAME> first, then the brief's plain names."""
    return AliasChoices(f"SENTINEL_{name}", *aliases)


def normalize_database_url(url: str) -> str:
    """Map the URLs people paste (postgres://, postgresql://, sqlite:///) onto async drivers."""
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


class Settings(BaseSettings):
    """Everything Sentinel can be configured with. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    host: str = Field("127.0.0.1", validation_alias=_env("HOST", "HOST"))
    port: int = Field(8310, ge=1, le=65535, validation_alias=_env("PORT", "PORT"))
    database_url: str = Field(
        "sqlite+aiosqlite:///./data/sentinel.db",
        validation_alias=_env("DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Field(Path("./data"), validation_alias=_env("DATA_DIR"))
    web_dir: Path | None = Field(None, validation_alias=_env("WEB_DIR"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL", "LOG_LEVEL"))
    log_format: Literal["json", "text"] = Field("json", validation_alias=_env("LOG_FORMAT"))
    service_name: str = Field("sentinel", validation_alias=_env("SERVICE_NAME", "SERVICE_NAME"))
    service_version: str = Field(
        __version__, validation_alias=_env("SERVICE_VERSION", "SERVICE_VERSION")
    )
    enterprise_hub_url: str | None = Field(
        None, validation_alias=_env("ENTERPRISE_HUB_URL", "ENTERPRISE_HUB_URL")
    )
    ninja_url: str | None = Field(None, validation_alias=_env("NINJA_URL", "NINJA_URL"))
    license_server_url: str | None = Field(
        None, validation_alias=_env("LICENSE_SERVER_URL", "LICENSE_SERVER_URL")
    )

    secret_key: SecretStr | None = Field(None, validation_alias=_env("SECRET_KEY"))
    secret_key_file: Path | None = Field(None, validation_alias=_env("SECRET_KEY_FILE"))
    jwt_ttl_minutes: int = Field(720, ge=1, validation_alias=_env("JWT_TTL_MINUTES"))

    bootstrap_admin_email: str = Field(
        "admin@sentinel.local", validation_alias=_env("BOOTSTRAP_ADMIN_EMAIL")
    )
    bootstrap_admin_password: SecretStr | None = Field(
        None, validation_alias=_env("BOOTSTRAP_ADMIN_PASSWORD")
    )
    bootstrap_api_key: SecretStr | None = Field(None, validation_alias=_env("BOOTSTRAP_API_KEY"))

    tls_cert_file: Path | None = Field(None, validation_alias=_env("TLS_CERT_FILE"))
    tls_key_file: Path | None = Field(None, validation_alias=_env("TLS_KEY_FILE"))

    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, validation_alias=_env("MAX_BODY_BYTES"))
    max_inflight_body_bytes: int = Field(
        256 * 1024 * 1024, ge=1024, validation_alias=_env("MAX_INFLIGHT_BODY_BYTES")
    )
    metrics_public: bool = Field(True, validation_alias=_env("METRICS_PUBLIC"))
    db_pool_size: int = Field(10, ge=1, validation_alias=_env("DB_POOL_SIZE"))

    traces_retention: str = Field("7d", validation_alias=_env("TRACES_RETENTION"))
    # Experimental (docs/storage-shape.md): spans are also written as compressed blocks
    # with an integer index, and trace-by-id reads come from those.
    traces_blocks: bool = Field(False, validation_alias=_env("TRACES_BLOCKS"))
    logs_retention: str = Field("7d", validation_alias=_env("LOGS_RETENTION"))
    otlp_grpc_port: int | None = Field(
        None, ge=1, le=65535, validation_alias=_env("OTLP_GRPC_PORT")
    )
    otlp_grpc_host: str | None = Field(None, validation_alias=_env("OTLP_GRPC_HOST"))
    ingest_max_pending: int = Field(64, ge=1, validation_alias=_env("INGEST_MAX_PENDING"))
    ingest_writers: int | None = Field(None, ge=1, validation_alias=_env("INGEST_WRITERS"))
    # SQLite: OTLP exports decoded and written by this many separate processes
    # (ingest/pool.py); 0 keeps them in the serving process; unset: one per core (at
    # least two cores), at most 4.
    ingest_processes: int | None = Field(
        None, ge=0, le=64, validation_alias=_env("INGEST_PROCESSES")
    )

    migrate_on_start: bool = Field(True, validation_alias=_env("MIGRATE_ON_START"))
    worker_enabled: bool = Field(True, validation_alias=_env("WORKER_ENABLED"))
    worker_poll_seconds: float = Field(0.5, gt=0, validation_alias=_env("WORKER_POLL_SECONDS"))
    worker_lease_seconds: float = Field(60.0, gt=0, validation_alias=_env("WORKER_LEASE_SECONDS"))
    worker_batch_size: int = Field(20, ge=1, validation_alias=_env("WORKER_BATCH_SIZE"))

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("the secret key must be at least 32 characters")
        return value

    @field_validator("bootstrap_api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            key = value.get_secret_value()
            if not key.startswith("snt_") or len(key) < 24:
                raise ValueError("a preset API key must start with 'snt_' and be 24+ characters")
        return value

    @field_validator("traces_retention", "logs_retention")
    @classmethod
    def _retention_shape(cls, value: str) -> str:
        from sentinel.timeutil import parse_duration

        parse_duration(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError(
                "TLS needs both SENTINEL_TLS_CERT_FILE and SENTINEL_TLS_KEY_FILE (only one is set)"
            )
        return self

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert_file is not None and self.tls_key_file is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def ingest_pool_size(self) -> int:
        """Ingest processes to start: only for a SQLite file (PostgreSQL scales out with
        replicas; an in-memory database cannot be shared)."""
        if not self.is_sqlite or ":memory:" in self.database_url:
            return 0
        if self.ingest_processes is not None:
            return self.ingest_processes
        cores = os.cpu_count() or 1
        return min(cores, 4) if cores >= 2 else 0

    def jwt_secret(self) -> str:
        """The signing secret: from the environment, a file, or one generated under data_dir.

        Replicas that share a PostgreSQL database must share SENTINEL_SECRET_KEY (or its file).
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.secret_key_file is not None:
            # A configured file that is missing is a mistake (a wrong mount path), not a
            # reason to invent a key that the other replicas will not share.
            if not self.secret_key_file.is_file():
                raise ValueError(f"SENTINEL_SECRET_KEY_FILE {self.secret_key_file} does not exist")
            return self.secret_key_file.read_text().strip()
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        generated = secrets.token_urlsafe(48)
        path.write_text(generated)
        path.chmod(0o600)
        return generated
