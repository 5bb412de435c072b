"""`sentinel serve | worker | migrate | create-user | create-api-key | openapi | demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import getpass
import secrets
import signal
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from sentinel import __version__
from sentinel.config import Settings
from sentinel.observability import configure_logging


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            ": ".join(
                filter(None, (".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")))
            )
            for e in exc.errors()
        )
        raise SystemExit(f"sentinel: invalid configuration: {problems}") from exc


def _where(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _preflight(settings: Settings) -> str | None:
    """Fail early, with a sentence instead of a traceback, when the database is unreachable or
    its schema does not match this version."""
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    db = Database(settings.database_url)
    try:
        await db.ping()
        if settings.migrate_on_start:
            await migrate.upgrade(db)
        current, wanted = await migrate.current_revision(db), migrate.head_revisions()
        if current != wanted:
            return (
                f"the database schema is at {current or 'nothing'}, this version needs "
                f"{wanted}: run `sentinel migrate` (or set SENTINEL_MIGRATE_ON_START=true)"
            )
        return None
    finally:
        await db.dispose()


def _checked(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the failures an operator can fix into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (OSError, DBAPIError) as exc:
            settings = _settings()
            reason = getattr(exc, "orig", None) or exc
            print(
                f"sentinel: cannot use the database at {_where(settings.database_url)}: {reason}",
                file=sys.stderr,
            )
            return 1
        except ValueError as exc:
            print(f"sentinel: {exc}", file=sys.stderr)
            return 1

    return run


@_checked
def cmd_serve(args: argparse.Namespace) -> int:
    import ssl

    import uvicorn

    from sentinel.app import create_app

    settings = _settings()
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    if args.no_worker:
        settings.worker_enabled = False
    configure_logging(settings.log_level, settings.log_format)
    settings.jwt_secret()  # a missing secret file stops here, with its path named
    problem = asyncio.run(_preflight(settings))
    if problem:
        print(f"sentinel: {problem}", file=sys.stderr)
        return 1
    scheme = "https" if settings.tls_enabled else "http"
    shown_host = "localhost" if settings.host in ("0.0.0.0", "127.0.0.1", "::") else settings.host  # noqa: S104
    print(
        f"Sentinel {__version__} on {scheme}://{shown_host}:{settings.port}  "
        f"(API docs: {scheme}://{shown_host}:{settings.port}/docs, "
        f"storage: {'SQLite' if settings.is_sqlite else 'PostgreSQL'})\n"
        f"Log in as {settings.bootstrap_admin_email} with the password printed at first start, "
        "or make a new admin with `sentinel create-user --role admin`.",
        flush=True,
    )
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        ssl_certfile=str(settings.tls_cert_file) if settings.tls_enabled else None,
        ssl_keyfile=str(settings.tls_key_file) if settings.tls_enabled else None,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    config.load()
    if config.ssl is not None:
        # TLS 1.2 at the least; 1.3 is negotiated whenever the client offers it.
        config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
    # Ctrl+C: uvicorn shuts down gracefully, then raises KeyboardInterrupt again on the
    # way out; the shutdown is done, so end without a traceback.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()
    return 0


async def _run_worker(settings: Settings) -> None:
    from sentinel.app import build_registry
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database
    from sentinel.worker.loop import WorkerLoop

    db = Database(settings.database_url, settings.db_pool_size)
    try:
        if settings.migrate_on_start:
            await migrate.upgrade(db)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await WorkerLoop(db, build_registry(), settings).run_forever(stop)
    finally:
        await db.dispose()


@_checked
def cmd_worker(_args: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(_run_worker(settings))
    return 0


async def _migrate(settings: Settings) -> str | None:
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db)
        return await migrate.current_revision(db)
    finally:
        await db.dispose()


@_checked
def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = _settings()
    revision = asyncio.run(_migrate(settings))
    print(f"database schema at revision {revision}")
    return 0


async def _create_user(settings: Settings, email: str, name: str, role: str, password: str) -> None:
    from sentinel.auth import service
    from sentinel.auth.roles import Role
    from sentinel.auth.schemas import UserCreate
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.transaction() as session:
            await service.create_user(
                session,
                None,
                UserCreate(email=email, name=name, password=password, role=Role(role)),
            )
    finally:
        await db.dispose()


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings()
    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Password (8+ characters, empty to generate one): ")
        if not password:
            password, generated = secrets.token_urlsafe(12), True
    try:
        asyncio.run(
            _create_user(settings, args.email, args.name or args.email, args.role, password)
        )
    except ValidationError as exc:
        print(f"sentinel: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"sentinel: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 1
    print(f"created {args.role} {args.email}" + (f" with password {password}" if generated else ""))
    return 0


async def _create_key(settings: Settings, name: str, scopes: list[str]) -> str:
    from sentinel.auth import service
    from sentinel.auth.roles import Scope
    from sentinel.auth.schemas import ApiKeyCreate
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.transaction() as session:
            _, key = await service.create_api_key(
                session, None, ApiKeyCreate(name=name, scopes=[Scope(s) for s in scopes])
            )
        return key
    finally:
        await db.dispose()


@_checked
def cmd_create_api_key(args: argparse.Namespace) -> int:
    settings = _settings()
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    allowed = {"ingest", "read", "write", "admin"}
    if not scopes or not set(scopes) <= allowed:
        print(
            f"sentinel: scopes must be a comma-separated subset of {sorted(allowed)}",
            file=sys.stderr,
        )
        return 2
    key = asyncio.run(_create_key(settings, args.name, scopes))
    print(key)
    print(
        f"# API key '{args.name}' with scopes {','.join(scopes)}; shown only now.", file=sys.stderr
    )
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    """Print the API's OpenAPI document without a server or a database (the web UI's typed
    client is generated from it at build time)."""
    import json

    from sentinel.app import create_app

    document = create_app(_settings()).openapi()
    text = json.dumps(document, indent=2 if args.pretty else None, sort_keys=True)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    else:
        print(text)
    return 0


@_checked
def cmd_demo(args: argparse.Namespace) -> int:
    from sentinel.demo.command import run

    return run(args, _settings())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentinel", description="Sentinel observability service")
    parser.add_argument("--version", action="version", version=f"sentinel {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API, OTLP and the UI (with the worker loop)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-worker", action="store_true", help="do not run background jobs here")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run only the background job loop")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    user = sub.add_parser("create-user", help="create a user who can log in")
    user.add_argument("--email", required=True)
    user.add_argument("--name", default=None)
    user.add_argument(
        "--role", choices=["admin", "editor", "responder", "viewer"], default="viewer"
    )
    user.add_argument("--password", default=None, help="omit to be prompted or get a generated one")
    user.set_defaults(func=cmd_create_user)

    key = sub.add_parser("create-api-key", help="create an API key and print it once")
    key.add_argument("--name", required=True)
    key.add_argument("--scopes", default="ingest", help="comma-separated: ingest,read,write,admin")
    key.set_defaults(func=cmd_create_api_key)
    openapi = sub.add_parser("openapi", help="print the OpenAPI JSON (no server, no database)")
    openapi.add_argument("--output", "-o", default=None, help="write to this file instead")
    openapi.add_argument("--pretty", action="store_true", help="indented output")
    openapi.set_defaults(func=cmd_openapi)

    from sentinel.demo.command import add_arguments

    demo = sub.add_parser("demo", help="send a realistic demo workload to a running server")
    add_arguments(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
