"""Escalation policies as data, frozen into a flat chain, and pure step evaluation.

A policy is ordered steps, repeated `repeat` more times. Step kinds: notify_users,
notify_schedule (whoever is on call when the step runs), notify_team (every member),
wait (N minutes before the next step) and escalate_to (the rest of the chain is another
policy). Freezing inlines repeats and escalate_to targets, so an incident keeps the chain
it started with even if somebody edits the policies mid-incident.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

StepKind = Literal["notify_users", "notify_schedule", "notify_team", "wait", "escalate_to"]
NOTIFY_KINDS = ("notify_users", "notify_schedule", "notify_team")
MAX_CHAIN_STEPS = 500
MAX_REPEAT = 20


class PolicyError(ValueError):
    """A policy definition that cannot be frozen; the message says why."""


@dataclass(frozen=True)
class Step:
    kind: StepKind
    targets: tuple[int, ...] = ()  # user ids, one schedule id, one team id, one policy id
    wait_minutes: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "targets": list(self.targets), "wait_minutes": self.wait_minutes}

    @staticmethod
    def from_json(data: Mapping[str, object]) -> Step:
        targets = data.get("targets") or []
        assert isinstance(targets, list)
        wait = data.get("wait_minutes") or 0
        assert isinstance(wait, int | float)
        return Step(data["kind"], tuple(int(t) for t in targets), float(wait))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Policy:
    id: int
    steps: tuple[Step, ...]
    repeat: int = 0


def validate_steps(steps: Sequence[Step], repeat: int) -> None:
    """Shape errors of one policy (without looking at other policies)."""
    if not steps:
        raise PolicyError("a policy needs at least one step")
    if not 0 <= repeat <= MAX_REPEAT:
        raise PolicyError(f"repeat must be between 0 and {MAX_REPEAT}")
    for n, step in enumerate(steps, 1):
        if step.kind == "wait":
            if not 0 < step.wait_minutes <= 24 * 60:
                raise PolicyError(f"step {n}: wait must be between 0 and 1440 minutes")
        elif step.kind == "notify_users":
            if not step.targets:
                raise PolicyError(f"step {n}: notify_users needs at least one user")
        elif len(step.targets) != 1:
            raise PolicyError(f"step {n}: {step.kind} needs exactly one target id")
        if step.kind == "escalate_to" and n != len(steps):
            raise PolicyError(f"step {n}: escalate_to must be the last step")


def find_cycle(edges: Mapping[int, Sequence[int]]) -> list[int] | None:
    """A cycle among policies (escalate_to edges) as a path [a, b, ..., a], or None."""
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done
    stack: list[int] = []

    def visit(node: int) -> list[int] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def policy_edges(policies: Mapping[int, Policy]) -> dict[int, list[int]]:
    return {
        pid: [t for s in p.steps if s.kind == "escalate_to" for t in s.targets]
        for pid, p in policies.items()
    }


def freeze(policy_id: int, policies: Mapping[int, Policy]) -> tuple[Step, ...]:
    """The flat chain of concrete steps (no escalate_to, repeats expanded)."""
    cycle = find_cycle(policy_edges(policies))
    if cycle is not None:
        raise PolicyError("escalation policies form a cycle: " + " → ".join(map(str, cycle)))
    chain: list[Step] = []
    current: int | None = policy_id
    while current is not None:
        policy = policies.get(current)
        if policy is None:
            raise PolicyError(f"escalation policy {current} does not exist")
        body = [s for s in policy.steps if s.kind != "escalate_to"]
        nxt = [s.targets[0] for s in policy.steps if s.kind == "escalate_to"]
        chain.extend(body * (policy.repeat + 1))
        current = nxt[0] if nxt else None
        if len(chain) > MAX_CHAIN_STEPS:
            raise PolicyError(f"the frozen chain would exceed {MAX_CHAIN_STEPS} steps")
    return tuple(chain)


@dataclass(frozen=True)
class Advance:
    """What the engine does after running step `index`: run `next_index` at `due_at`.
    next_index None means the chain is exhausted, at `due_at` if the last step was a wait
    (the escalation stays open until that wait is over), else at once (due_at None)."""

    next_index: int | None
    due_at: datetime | None


def advance(chain: Sequence[Step], index: int, ran_at: datetime) -> Advance:
    """Where the chain goes after step `index` ran at `ran_at`: a wait step delays the next
    step; notify steps hand on immediately."""
    step = chain[index]
    delay = timedelta(minutes=step.wait_minutes) if step.kind == "wait" else timedelta(0)
    nxt = index + 1
    if nxt >= len(chain):
        return Advance(None, ran_at + delay if step.kind == "wait" else None)
    return Advance(nxt, ran_at + delay)


def recipients(
    step: Step,
    on_call: Callable[[int], Sequence[int]],
    team_members: Callable[[int], Sequence[int]],
) -> list[int]:
    """User ids a notify step pages, deduplicated, in order."""
    if step.kind == "notify_users":
        users: Sequence[int] = step.targets
    elif step.kind == "notify_schedule":
        users = on_call(step.targets[0])
    elif step.kind == "notify_team":
        users = team_members(step.targets[0])
    else:
        users = ()
    return list(dict.fromkeys(users))


def page_key(
    group_id: int, escalation_id: int, started_at: datetime, step_index: int, user_id: int
) -> str:
    """The idempotency key of one page: one per escalation step per person. The escalation
    is named by id and start (ms): a group that resolves and fires again gets a new
    escalation, and SQLite hands the deleted row's id out again."""
    started = int(started_at.timestamp() * 1000)
    return f"page:{group_id}:{escalation_id}.{started}:{step_index}:{user_id}"
