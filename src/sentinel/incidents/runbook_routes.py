"""Runbooks: CRUD, the runbooks of an incident, running steps, approvals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.deps import AuthConfigDep, Reader, Responder, SessionDep, Writer
from sentinel.api.errors import Conflict, NotFound, problem_response
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.incidents import runbook_catalog, runbooks, service
from sentinel.incidents import runbook_schemas as rs
from sentinel.incidents.config import RunbookSettings
from sentinel.incidents.models import Runbook, RunbookRun

router = APIRouter(tags=["incidents"])


async def _runbook(session: AsyncSession, runbook_id: int) -> Runbook:
    row = await session.get(Runbook, runbook_id)
    if row is None:
        raise NotFound(f"No runbook with id {runbook_id}.")
    return row


async def _unique(session: AsyncSession, name: str, runbook_id: int | None) -> None:
    other = await session.scalar(select(Runbook.id).where(Runbook.name == name))
    if other is not None and other != runbook_id:
        raise Conflict(f"A runbook named {name!r} exists already.")


@router.get("/api/runbooks", response_model=Page[rs.RunbookOut])
async def list_runbooks(_: Reader, session: SessionDep, page: PageParams) -> Page[rs.RunbookOut]:
    rows, cursor = await paginate(session, select(Runbook), page, [Runbook.id], descending=False)
    return Page(items=[runbook_catalog.runbook_out(r) for r in rows], next_cursor=cursor)


@router.post("/api/runbooks", response_model=rs.RunbookOut, status_code=201)
async def create_runbook(
    body: rs.RunbookIn, principal: Writer, session: SessionDep, auth: AuthConfigDep
) -> rs.RunbookOut:
    """A Markdown runbook attached to services and alert names, with automated HTTP steps
    (templated url/headers/body, secret headers stored encrypted, optional approval)."""
    runbook_catalog.check_literal_hosts(body.steps, RunbookSettings().allow_list())
    await _unique(session, body.name, None)
    now = datetime.now(UTC)
    row = Runbook(
        name=body.name,
        markdown=body.markdown,
        services=body.services,
        alert_names=body.alert_names,
        steps=runbook_catalog.stored_steps(body.steps, [], auth.jwt_secret),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(session, principal, "runbook.create", "runbook", row.id, {"name": body.name})
    return runbook_catalog.runbook_out(row)


@router.get("/api/runbooks/{runbook_id}", response_model=rs.RunbookOut)
async def get_runbook(runbook_id: int, _: Reader, session: SessionDep) -> rs.RunbookOut:
    return runbook_catalog.runbook_out(await _runbook(session, runbook_id))


@router.put("/api/runbooks/{runbook_id}", response_model=rs.RunbookOut)
async def replace_runbook(
    runbook_id: int, body: rs.RunbookIn, principal: Writer, session: SessionDep, auth: AuthConfigDep
) -> rs.RunbookOut:
    row = await _runbook(session, runbook_id)
    runbook_catalog.check_literal_hosts(body.steps, RunbookSettings().allow_list())
    await _unique(session, body.name, runbook_id)
    row.steps = runbook_catalog.stored_steps(body.steps, list(row.steps), auth.jwt_secret)
    row.name, row.markdown = body.name, body.markdown
    row.services, row.alert_names = body.services, body.alert_names
    row.updated_at = datetime.now(UTC)
    audit.record(session, principal, "runbook.update", "runbook", runbook_id)
    return runbook_catalog.runbook_out(row)


@router.delete("/api/runbooks/{runbook_id}", status_code=204)
async def delete_runbook(runbook_id: int, principal: Writer, session: SessionDep) -> Response:
    await session.delete(await _runbook(session, runbook_id))
    audit.record(session, principal, "runbook.delete", "runbook", runbook_id)
    return Response(status_code=204)


@router.get("/api/incidents/{incident_id}/runbooks", response_model=list[rs.RunbookOut])
async def incident_runbooks(
    incident_id: int, _: Reader, session: SessionDep
) -> list[rs.RunbookOut]:
    """The runbooks for this incident's services and alerts, with their Markdown."""
    incident = await service.get_incident(session, incident_id)
    return [runbook_catalog.runbook_out(r) for r in await runbooks.runbooks_for(session, incident)]


@router.post(
    "/api/incidents/{incident_id}/runbooks/{runbook_id}/steps/{step}/run",
    response_model=rs.RunOut,
    status_code=201,
    responses={
        422: {
            "description": "The step's templates reference a missing field, or its host is "
            "not allowed (SENTINEL_RUNBOOK_ALLOWED_HOSTS; link-local/metadata addresses never)."
        }
    },
)
async def run_step(
    incident_id: int,
    runbook_id: int,
    step: str,
    body: rs.RunIn,
    principal: Responder,
    session: SessionDep,
    auth: AuthConfigDep,
) -> Any:
    """Run one automated step: a dry run renders and records the request only; a step
    that needs approval waits for a responder; otherwise the call is made with the step's
    timeout. Every outcome is on the timeline. A template that references a missing field
    is a 422 (and is recorded on the timeline too)."""
    # No autoflush and no row lock: nothing may be written (or locked) while the step's
    # HTTP call is out, or one slow endpoint would stall every writer on SQLite.
    with session.sync_session.no_autoflush:
        incident = await service.get_incident(session, incident_id)
        runbook = await _runbook(session, runbook_id)
        run = await runbooks.start_run(
            session,
            incident,
            runbook,
            step,
            body.dry_run,
            principal.name,
            auth.jwt_secret,
            datetime.now(UTC),
        )
    audit.record(
        session, principal, "runbook.run", "incident", incident_id, {"run": run.id, "step": step}
    )
    out = runbook_catalog.run_out(run)
    if run.status == "blocked":
        return _blocked_problem(out)
    if run.status == "failed" and run.response_status is None and not run.request:
        # Not raised: the failed run and its timeline entry must commit.
        response: JSONResponse = problem_response(
            422,
            run.error,
            slug="runbook-template",
            extra={"run": out.model_dump(mode="json")},
        )
        return response
    return out


@router.get("/api/incidents/{incident_id}/runbook-runs", response_model=list[rs.RunOut])
async def list_runs(incident_id: int, _: Reader, session: SessionDep) -> list[rs.RunOut]:
    await service.get_incident(session, incident_id)
    rows = await session.scalars(
        select(RunbookRun).where(RunbookRun.incident_id == incident_id).order_by(RunbookRun.id)
    )
    return [runbook_catalog.run_out(r) for r in rows]


async def _decide(
    incident_id: int,
    run_id: int,
    approve: bool,
    principal: Any,
    session: AsyncSession,
    secret: str,
) -> rs.RunOut:
    with session.sync_session.no_autoflush:  # as in run_step
        incident = await service.get_incident(session, incident_id)
        # PostgreSQL: the run's row lock makes a second approver wait, then see it is done.
        run = await session.get(RunbookRun, run_id, with_for_update=True)
        if run is None or run.incident_id != incident_id:
            raise NotFound(f"No runbook run {run_id} on incident {incident_id}.")
        await runbooks.decide(
            session, incident, run, approve, principal.name, secret, datetime.now(UTC)
        )
    action = "runbook.approve" if approve else "runbook.reject"
    audit.record(session, principal, action, "incident", incident_id, {"run": run_id})
    return runbook_catalog.run_out(run)


def _blocked_problem(out: rs.RunOut) -> JSONResponse:
    """A blocked run as a 422 (returned, not raised: the run and its entry must commit)."""
    return problem_response(
        422, out.error, slug="runbook-host-denied", extra={"run": out.model_dump(mode="json")}
    )


@router.post(
    "/api/incidents/{incident_id}/runbook-runs/{run_id}/approve",
    response_model=rs.RunOut,
    responses={422: {"description": "The step's host is not allowed (the run is blocked)."}},
)
async def approve_run(
    incident_id: int, run_id: int, principal: Responder, session: SessionDep, auth: AuthConfigDep
) -> Any:
    """Approve a step awaiting approval: it runs now, rendered from the current incident
    and checked against the host allow-list again."""
    out = await _decide(incident_id, run_id, True, principal, session, auth.jwt_secret)
    return _blocked_problem(out) if out.status == "blocked" else out


@router.post("/api/incidents/{incident_id}/runbook-runs/{run_id}/reject", response_model=rs.RunOut)
async def reject_run(
    incident_id: int, run_id: int, principal: Responder, session: SessionDep, auth: AuthConfigDep
) -> rs.RunOut:
    return await _decide(incident_id, run_id, False, principal, session, auth.jwt_secret)
