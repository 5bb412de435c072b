"""OpenSLO v1 import and export (SLO as code). Thin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from sentinel.api.deps import Reader, SessionDep, Writer
from sentinel.api.errors import Problem
from sentinel.slo import openslo, service
from sentinel.slo.models import Slo
from sentinel.slo.schemas import SloCreate, SloUpdate

router = APIRouter(tags=["slo"])  # included by routes.router under /api/slo
YAML = "application/yaml"


class ImportResult(BaseModel):
    created: list[str]
    updated: list[str]
    unknown_fields: list[str]


def _errors(exc: ValidationError, name: str) -> list[dict[str, Any]]:
    return [
        {"slo": name, "loc": ".".join(str(x) for x in e["loc"]), "msg": e["msg"]}
        for e in exc.errors()
    ]


@router.post(
    "/openslo",
    response_model=ImportResult,
    openapi_extra={"requestBody": {"content": {YAML: {"schema": {"type": "string"}}}}},
)
async def import_openslo(request: Request, actor: Writer, session: SessionDep) -> ImportResult:
    """Create or update SLOs from OpenSLO v1 YAML (SLO, SLI and AlertPolicy documents).
    Fields Sentinel does not use are listed in `unknown_fields`; nothing is applied when
    any document is invalid."""
    text = (await request.body()).decode("utf-8", errors="replace")
    try:
        bodies, unknown = openslo.parse(text)
    except openslo.OpenSloError as exc:
        raise Problem(str(exc), status=422, slug="validation-error") from exc
    if not bodies:
        raise Problem("No SLO documents found.", status=422, slug="validation-error")
    parsed: list[SloCreate] = []
    errors: list[dict[str, Any]] = []
    for body in bodies:
        try:
            parsed.append(SloCreate.model_validate(body))
        except ValidationError as exc:
            errors += _errors(exc, body["name"])
    if errors:
        raise Problem(
            f"{len(errors)} problem(s) in the OpenSLO documents",
            status=422,
            slug="validation-error",
            errors=errors,
        )
    created, updated = [], []
    for slo_in in parsed:
        existing = await session.scalar(select(Slo).where(Slo.name == slo_in.name))
        if existing is None:
            await service.create_slo(session, actor, slo_in)
            created.append(slo_in.name)
        else:
            change = SloUpdate.model_validate(slo_in.model_dump(exclude={"name"}))
            await service.update_slo(session, actor, existing, change)
            updated.append(slo_in.name)
    return ImportResult(created=created, updated=updated, unknown_fields=unknown)


@router.get("/openslo", response_class=Response, responses={200: {"content": {YAML: {}}}})
async def export_all(
    _: Reader,
    session: SessionDep,
    service_name: Annotated[str | None, Query(alias="service")] = None,
) -> Response:
    """Every SLO (or a service's) as OpenSLO v1 YAML documents."""
    stmt = select(Slo).order_by(Slo.id)
    if service_name:
        stmt = stmt.where(Slo.service == service_name)
    docs = [openslo.export(s) for s in await session.scalars(stmt)]
    return Response("---\n".join(docs), media_type=YAML)


@router.get("/{slo_id}/openslo", response_class=Response, responses={200: {"content": {YAML: {}}}})
async def export_one(slo_id: int, _: Reader, session: SessionDep) -> Response:
    """One SLO and its burn-rate AlertPolicy as OpenSLO v1 YAML."""
    return Response(openslo.export(await service.get_slo(session, slo_id)), media_type=YAML)
