"""First start prints credentials once; the CLI makes users and keys; TLS serves 1.2+."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import trustme

from tests.e2e.conftest import start_server, stop_server

NO_PRESETS: dict[str, str | None] = {
    "SENTINEL_BOOTSTRAP_ADMIN_PASSWORD": None,
    "SENTINEL_BOOTSTRAP_API_KEY": None,
    "SENTINEL_BOOTSTRAP_ADMIN_EMAIL": None,
}


def test_first_start_prints_admin_and_key_once(database_url: str, tmp_path: Path) -> None:
    server = start_server(database_url, tmp_path / "one", NO_PRESETS)
    try:
        output = server.log()
        password = re.search(r"admin password: (\S+)", output)
        key = re.search(r"ingest API key: (snt_\S+)", output)
        assert password and key, output
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"email": "admin@sentinel.local", "password": password.group(1)},
        )
        assert login.status_code == 200
        me = httpx.get(f"{server.url}/api/auth/me", headers={"X-API-Key": key.group(1)})
        assert me.json()["scopes"] == ["ingest"]
        # Secrets appear in the banner only, never in a structured log line.
        for line in output.splitlines():
            if line.startswith("{"):
                assert password.group(1) not in line and key.group(1) not in line
    finally:
        stop_server(server)
    again = start_server(database_url, tmp_path / "two", NO_PRESETS)
    try:
        assert "admin password:" not in again.log()
        assert "ingest API key:" not in again.log()
    finally:
        stop_server(again)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sentinel", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_migrates_and_creates_users_and_keys(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "SENTINEL_DATABASE_URL": database_url, "SENTINEL_DATA_DIR": str(tmp_path)}
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "database schema at revision" in migrated.stdout
    user = run_cli(
        "create-user",
        "--email",
        "oncall@example.com",
        "--role",
        "responder",
        "--password",
        "password-123",
        env=env,
    )
    assert user.returncode == 0, user.stderr
    duplicate = run_cli(
        "create-user", "--email", "oncall@example.com", "--password", "password-123", env=env
    )
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    key = run_cli("create-api-key", "--name", "grafana", "--scopes", "read", env=env)
    assert key.returncode == 0, key.stderr
    api_key = key.stdout.strip()
    assert api_key.startswith("snt_")
    bad_scope = run_cli("create-api-key", "--name", "x", "--scopes", "root", env=env)
    assert bad_scope.returncode == 2

    server = start_server(database_url, tmp_path / "server")
    try:
        me = httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {api_key}"})
        assert me.json()["scopes"] == ["read"]
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"email": "oncall@example.com", "password": "password-123"},
        )
        assert login.status_code == 200
    finally:
        stop_server(server)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tls_serves_modern_versions_only(database_url: str, tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(cert_file)
    certificate.private_key_pem.write_to_path(key_file)
    authority.cert_pem.write_to_path(ca_file)
    server = start_server(
        database_url,
        tmp_path / "server",
        {"SENTINEL_TLS_CERT_FILE": str(cert_file), "SENTINEL_TLS_KEY_FILE": str(key_file)},
        scheme="https",
        verify=ssl.create_default_context(cafile=str(ca_file)),
    )
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
        response = httpx.get(f"{server.url}/health", verify=context)
        assert response.status_code in (200, 503)
        with (
            socket.create_connection(("127.0.0.1", server.port)) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == "TLSv1.3"
        # The server's floor is TLS 1.2; a client that stops at 1.1 gets no session.
        old = ssl.create_default_context(cafile=str(ca_file))
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises((ssl.SSLError, httpx.ConnectError)):
            httpx.get(f"{server.url}/health", verify=old)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=3)
    finally:
        stop_server(server)


@pytest.mark.parametrize(
    ("env", "command", "message"),
    [
        (
            {"SENTINEL_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"},
            "migrate",
            "cannot use the database at postgresql+asyncpg://postgres@127.0.0.1:1/none",
        ),
        ({"SENTINEL_TLS_CERT_FILE": "/etc/hostname"}, "serve", "TLS needs both"),
        (
            {"SENTINEL_SECRET_KEY_FILE": "/no/such/secret"},
            "serve",
            "/no/such/secret does not exist",
        ),
        ({"SENTINEL_PORT": "http"}, "serve", "SENTINEL_PORT"),
        ({"SENTINEL_MIGRATE_ON_START": "false"}, "serve", "run `sentinel migrate`"),
    ],
)
def test_operator_mistakes_get_one_sentence_and_exit_1(
    env: dict[str, str], command: str, message: str, tmp_path: Path
) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENTINEL_")}
    base["SENTINEL_DATABASE_URL"] = f"sqlite:///{tmp_path}/fresh.db"
    result = subprocess.run(
        [sys.executable, "-m", "sentinel", command],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
