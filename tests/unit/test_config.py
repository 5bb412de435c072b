"""Settings: SENTINEL_ variables, the brief's aliases, a .env file, URL normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sentinel.config import Settings, normalize_database_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SENTINEL_") or name in ("PORT", "HOST", "DATABASE_URL", "LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == 8310
    assert settings.database_url == "sqlite+aiosqlite:///./data/sentinel.db"
    assert settings.is_sqlite


def test_brief_aliases_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://sentinel:pw@db:5432/sentinel")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("SERVICE_NAME", "itechsmart-sentinel")
    monkeypatch.setenv("NINJA_URL", "http://localhost:8002")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == 9000
    assert settings.host == "0.0.0.0"
    assert settings.database_url == "postgresql+asyncpg://sentinel:pw@db:5432/sentinel"
    assert settings.log_level == "DEBUG"
    assert settings.service_name == "itechsmart-sentinel"
    assert settings.ninja_url == "http://localhost:8002"


def test_prefixed_names_win_over_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("SENTINEL_PORT", "9100")
    assert Settings(_env_file=None).port == 9100  # type: ignore[call-arg]


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("SENTINEL_PORT=9200\nSENTINEL_METRICS_PUBLIC=false\n")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.port == 9200
    assert settings.metrics_public is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///./data/x.db", "sqlite+aiosqlite:///./data/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_map_to_async_drivers(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_bad_values_are_rejected_with_the_field_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINEL_PORT", "99999")
    with pytest.raises(ValidationError, match="SENTINEL_PORT"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("SENTINEL_PORT", "8310")
    monkeypatch.setenv("SENTINEL_BOOTSTRAP_API_KEY", "short")
    with pytest.raises(ValidationError, match="snt_"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_jwt_secret_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    first = settings.jwt_secret()
    assert len(first) >= 40
    assert settings.jwt_secret() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINEL_SECRET_KEY", "too-short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(_env_file=None)  # type: ignore[call-arg]
