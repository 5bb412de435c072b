"""Custom alert rules: CRUD with audit, state history, and the available sources."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import sources
from sentinel.alerting.models import AlertRule, AlertRuleStateChange
from sentinel.alerting.schemas import RuleIn, RuleOut, RuleSourceOut, RuleStateChangeOut
from sentinel.api.deps import Reader, SessionDep, Writer
from sentinel.api.errors import BadRequest, Conflict, NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit

router = APIRouter(prefix="/api/alerting", tags=["alert rules"])


async def _check_source(session: AsyncSession, body: RuleIn) -> None:
    source = sources.get(body.source)
    if source is None:
        names = ", ".join(s.name for s in sources.available() if s.measure is not None)
        raise BadRequest(f"unknown source {body.source!r}; available: {names}")
    if body.source.startswith("span_") and not isinstance(body.params.get("service"), str):
        raise BadRequest(f"source {body.source!r} needs params.service (a service name)")
    if body.source == "span_latency_percentile" and body.params.get("percentile", 95) not in (
        50,
        95,
        99,
    ):
        raise BadRequest("params.percentile must be 50, 95 or 99")
    if source.measure is None:
        raise BadRequest(
            f"source {body.source!r} ({source.description}) is not wired yet: its domain "
            "has not registered it"
        )
    if source.check is not None:
        problem = await source.check(session, body.params)
        if problem:
            raise BadRequest(f"source {body.source!r}: {problem}")


async def _rule(session: AsyncSession, rule_id: int) -> AlertRule:
    rule = await session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"No alert rule with id {rule_id}.")
    return rule


async def _unique(session: AsyncSession, name: str, rule_id: int | None) -> None:
    found = await session.scalar(select(AlertRule.id).where(AlertRule.name == name))
    if found is not None and found != rule_id:
        raise Conflict(f"An alert rule named {name!r} already exists.")


@router.get("/rule-sources", response_model=list[RuleSourceOut])
async def rule_sources(_: Reader) -> list[RuleSourceOut]:
    """What rules can measure; `wired: false` ones are reserved for domains to come."""
    return [
        RuleSourceOut(name=s.name, description=s.description, wired=s.measure is not None)
        for s in sources.available()
    ]


@router.get("/rules", response_model=Page[RuleOut])
async def list_rules(_: Reader, session: SessionDep, page: PageParams) -> Page[RuleOut]:
    rows, cursor = await paginate(
        session, select(AlertRule), page, [AlertRule.id], descending=False
    )
    return Page(items=[RuleOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/rules", response_model=RuleOut, status_code=201)
async def create_rule(body: RuleIn, principal: Writer, session: SessionDep) -> RuleOut:
    """Add a rule; the worker evaluates it on its next tick."""
    await _check_source(session, body)
    await _unique(session, body.name, None)
    now = datetime.now(UTC)
    rule = AlertRule(**body.model_dump(), state="normal", created_at=now, updated_at=now)
    session.add(rule)
    await session.flush()
    audit.record(session, principal, "alert_rule.create", "alert_rule", rule.id, body.model_dump())
    return RuleOut.model_validate(rule)


@router.get("/rules/{rule_id}", response_model=RuleOut)
async def get_rule(rule_id: int, _: Reader, session: SessionDep) -> RuleOut:
    return RuleOut.model_validate(await _rule(session, rule_id))


@router.put("/rules/{rule_id}", response_model=RuleOut)
async def replace_rule(
    rule_id: int, body: RuleIn, principal: Writer, session: SessionDep
) -> RuleOut:
    rule = await _rule(session, rule_id)
    await _check_source(session, body)
    await _unique(session, body.name, rule_id)
    for key, value in body.model_dump().items():
        setattr(rule, key, value)
    rule.updated_at = datetime.now(UTC)
    audit.record(session, principal, "alert_rule.update", "alert_rule", rule.id, body.model_dump())
    return RuleOut.model_validate(rule)


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: int, principal: Writer, session: SessionDep) -> Response:
    rule = await _rule(session, rule_id)
    await session.delete(rule)
    audit.record(session, principal, "alert_rule.delete", "alert_rule", rule_id)
    return Response(status_code=204)


@router.get("/rules/{rule_id}/history", response_model=list[RuleStateChangeOut])
async def rule_history(rule_id: int, _: Reader, session: SessionDep) -> list[RuleStateChangeOut]:
    """The rule's state changes, oldest first."""
    await _rule(session, rule_id)
    rows = await session.scalars(
        select(AlertRuleStateChange)
        .where(AlertRuleStateChange.rule_id == rule_id)
        .order_by(AlertRuleStateChange.id)
    )
    return [RuleStateChangeOut.model_validate(r) for r in rows]
