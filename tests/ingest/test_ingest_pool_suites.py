"""The HTTP ingest suites again, with the ingest pool on (SQLite): every export, bad body
and partial success of tests/api/test_tracing_ingest.py and tests/api/test_logs_ingest.py
goes through the spawned ingest processes and must answer and store exactly as in the
serving process."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import Settings
from tests.api.test_logs_ingest import *  # noqa: F403
from tests.api.test_tracing_ingest import *  # noqa: F403
from tests.conftest import make_settings

pytestmark = pytest.mark.only_on("sqlite")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data", ingest_processes=2)
