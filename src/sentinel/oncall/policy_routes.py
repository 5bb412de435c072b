"""/api/oncall/escalation-policies and people's contact methods and notification rules."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from sqlalchemy import select

from sentinel.alerting.models import AlertRoute
from sentinel.api.deps import PrincipalDep, Reader, SessionDep, Writer
from sentinel.api.errors import Conflict, Forbidden, NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.auth.models import User
from sentinel.auth.roles import Permission, Principal
from sentinel.oncall import escalation_routes, service
from sentinel.oncall.models import ContactMethod, EscalationPolicy, NotificationRule
from sentinel.oncall.ownership import require_team_access
from sentinel.oncall.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    EscalationPolicyIn,
    EscalationPolicyOut,
    NotificationRuleIn,
    NotificationRuleOut,
)

router = APIRouter(prefix="/api/oncall", tags=["oncall"])
router.include_router(escalation_routes.router)


def now() -> datetime:
    return datetime.now(UTC)


def policy_out(row: EscalationPolicy) -> EscalationPolicyOut:
    return EscalationPolicyOut.model_validate(row, from_attributes=True)


async def get_policy(session: SessionDep, policy_id: int) -> EscalationPolicy:
    row = await session.get(EscalationPolicy, policy_id)
    if row is None:
        raise NotFound(f"No escalation policy with id {policy_id}.")
    return row


@router.post("/escalation-policies", response_model=EscalationPolicyOut, status_code=201)
async def create_policy(
    body: EscalationPolicyIn, actor: Writer, session: SessionDep
) -> EscalationPolicyOut:
    """Ordered steps (notify users / a schedule's on-call / a team, wait N minutes,
    escalate_to another policy), repeated `repeat` more times. Cycles are refused."""
    await service.check_policy(session, body, None)
    await require_team_access(session, actor, body.team_id, f"escalation policy {body.name!r}")
    await service.name_taken(session, EscalationPolicy, body.name, None)
    row = EscalationPolicy(
        name=body.name,
        description=body.description,
        team_id=body.team_id,
        repeat=body.repeat,
        steps=[s.model_dump() for s in body.steps],
        created_at=now(),
        updated_at=now(),
    )
    session.add(row)
    await session.flush()
    audit.record(session, actor, "oncall.policy.create", "escalation_policy", row.id)
    return policy_out(row)


@router.get("/escalation-policies", response_model=Page[EscalationPolicyOut])
async def list_policies(
    _: Reader, session: SessionDep, page: PageParams, team_id: int | None = None
) -> Page[EscalationPolicyOut]:
    """Escalation policies, oldest first; `team_id` keeps those of one team."""
    stmt = select(EscalationPolicy)
    if team_id is not None:
        stmt = stmt.where(EscalationPolicy.team_id == team_id)
    rows, cursor = await paginate(session, stmt, page, [EscalationPolicy.id])
    return Page(items=[policy_out(r) for r in rows], next_cursor=cursor)


@router.get("/escalation-policies/{policy_id}", response_model=EscalationPolicyOut)
async def read_policy(policy_id: int, _: Reader, session: SessionDep) -> EscalationPolicyOut:
    return policy_out(await get_policy(session, policy_id))


@router.put("/escalation-policies/{policy_id}", response_model=EscalationPolicyOut)
async def replace_policy(
    policy_id: int, body: EscalationPolicyIn, actor: Writer, session: SessionDep
) -> EscalationPolicyOut:
    """Replace a policy; escalations already running keep the chain they froze."""
    row = await get_policy(session, policy_id)
    await require_team_access(session, actor, row.team_id, f"escalation policy {policy_id}")
    await service.check_policy(session, body, policy_id)
    if body.team_id != row.team_id:  # moving it to a team needs a say in that team too
        await require_team_access(session, actor, body.team_id, f"escalation policy {body.name!r}")
    await service.name_taken(session, EscalationPolicy, body.name, policy_id)
    row.name, row.description, row.team_id = body.name, body.description, body.team_id
    row.repeat, row.steps, row.updated_at = body.repeat, [s.model_dump() for s in body.steps], now()
    audit.record(session, actor, "oncall.policy.update", "escalation_policy", row.id)
    return policy_out(row)


@router.delete("/escalation-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: int, actor: Writer, session: SessionDep) -> Response:
    row = await get_policy(session, policy_id)
    await require_team_access(session, actor, row.team_id, f"escalation policy {policy_id}")
    route = await session.scalar(
        select(AlertRoute).where(AlertRoute.escalation_policy_id == policy_id).limit(1)
    )
    if route is not None:
        raise Conflict(f"alert route {route.id} ({route.name}) escalates with this policy")
    for other in await session.scalars(select(EscalationPolicy)):
        if any(s["kind"] == "escalate_to" and policy_id in s["targets"] for s in other.steps):
            raise Conflict(f"escalation policy {other.id} ({other.name}) escalates to this one")
    await session.delete(row)
    audit.record(session, actor, "oncall.policy.delete", "escalation_policy", policy_id)
    return Response(status_code=204)


# --- people --------------------------------------------------------------------------------


async def person(session: SessionDep, principal: Principal, user_id: int, *, write: bool) -> User:
    """The user, if the caller may see (read) or change (write) their contact setup:
    everybody manages their own; others need the write permission."""
    if not principal.can(Permission.READ):
        raise Forbidden("This action needs the 'read' permission.")
    own = principal.kind == "user" and principal.id == user_id
    if write and not own and not principal.can(Permission.WRITE):
        raise Forbidden("Only the person themselves or a writer may change contact methods.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


@router.post("/users/{user_id}/contact-methods", response_model=ContactMethodOut, status_code=201)
async def add_contact_method(
    user_id: int, body: ContactMethodIn, principal: PrincipalDep, session: SessionDep
) -> ContactMethodOut:
    """Add an email, phone (sms/voice, E.164), Slack, webhook, PagerDuty or catch-all."""
    await person(session, principal, user_id, write=True)
    row = ContactMethod(
        user_id=user_id, kind=body.kind, address=body.address, label=body.label, created_at=now()
    )
    session.add(row)
    await session.flush()
    audit.record(
        session, principal, "oncall.contact.create", "user", user_id, {"contact_method": row.id}
    )
    return ContactMethodOut.model_validate(row, from_attributes=True)


@router.get("/users/{user_id}/contact-methods", response_model=list[ContactMethodOut])
async def list_contact_methods(
    user_id: int, principal: PrincipalDep, session: SessionDep
) -> list[ContactMethodOut]:
    await person(session, principal, user_id, write=False)
    rows = await session.scalars(
        select(ContactMethod).where(ContactMethod.user_id == user_id).order_by(ContactMethod.id)
    )
    return [ContactMethodOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/users/{user_id}/contact-methods/{method_id}", status_code=204)
async def delete_contact_method(
    user_id: int, method_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    await person(session, principal, user_id, write=True)
    row = await session.get(ContactMethod, method_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"No contact method {method_id} for user {user_id}.")
    await session.delete(row)
    audit.record(
        session, principal, "oncall.contact.delete", "user", user_id, {"contact_method": method_id}
    )
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/notification-rules", response_model=NotificationRuleOut, status_code=201
)
async def add_notification_rule(
    user_id: int, body: NotificationRuleIn, principal: PrincipalDep, session: SessionDep
) -> NotificationRuleOut:
    """Notify this contact method `delay_minutes` after being paged (e.g. Slack 0, SMS 5)."""
    await person(session, principal, user_id, write=True)
    method = await session.get(ContactMethod, body.contact_method_id)
    if method is None or method.user_id != user_id:
        raise NotFound(f"No contact method {body.contact_method_id} for user {user_id}.")
    row = NotificationRule(
        user_id=user_id,
        contact_method_id=body.contact_method_id,
        delay_minutes=body.delay_minutes,
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    audit.record(session, principal, "oncall.rule.create", "user", user_id, {"rule": row.id})
    return NotificationRuleOut.model_validate(row, from_attributes=True)


@router.get("/users/{user_id}/notification-rules", response_model=list[NotificationRuleOut])
async def list_notification_rules(
    user_id: int, principal: PrincipalDep, session: SessionDep
) -> list[NotificationRuleOut]:
    await person(session, principal, user_id, write=False)
    rows = await session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == user_id)
        .order_by(NotificationRule.delay_minutes, NotificationRule.id)
    )
    return [NotificationRuleOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/users/{user_id}/notification-rules/{rule_id}", status_code=204)
async def delete_notification_rule(
    user_id: int, rule_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    await person(session, principal, user_id, write=True)
    row = await session.get(NotificationRule, rule_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"No notification rule {rule_id} for user {user_id}.")
    await session.delete(row)
    audit.record(session, principal, "oncall.rule.delete", "user", user_id, {"rule": rule_id})
    return Response(status_code=204)
