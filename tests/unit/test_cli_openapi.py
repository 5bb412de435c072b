"""`sentinel openapi` prints the API description without a server or a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel.cli import main


def test_openapi_is_written_without_touching_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SENTINEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/never.db")
    out = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["info"]["title"] == "Sentinel"
    assert "post" in document["paths"]["/api/auth/login"]
    assert "/api/tracing/statistics" in document["paths"]
    # The UI's own routes are not part of the API description.
    assert "/" not in document["paths"]
    assert not (tmp_path / "never.db").exists()
    assert not (tmp_path / "data").exists()
