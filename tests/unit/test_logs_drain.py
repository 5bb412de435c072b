"""Drain pattern mining: known templates come out of a generated corpus, and grouping
accuracy on the real loghub-2k samples with one configuration for every system."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.logs.drain import WILDCARD, Drain, DrainConfig, mask, tokenize

LOGHUB = Path("/work/shared/data/loghub-2k")
if not LOGHUB.exists():
    LOGHUB = Path(__file__).resolve().parents[3] / "shared" / "data" / "loghub-2k"
PUBLISHED_DRAIN = {
    "HDFS": 0.9975,
    "Hadoop": 0.9475,
    "Spark": 0.92,
    "BGL": 0.9625,
    "Thunderbird": 0.955,
    "Linux": 0.69,
    "HealthApp": 0.78,
    "OpenStack": 0.7325,
}


def test_masking() -> None:
    line = (
        "req 550e8400-e29b-41d4-a716-446655440000 from 10.0.0.12:8080 took 12.5 ms "
        "addr 0x7ffde1 hash deadbeef1234 user alice"
    )
    assert mask(line) == ("req <UUID> from <IP> took <NUM> ms addr <HEX> hash <HEX> user alice")


TEMPLATES = [
    "Session opened for user <*> from <IP>",
    "Card payment <*> declined: insufficient funds",
    "Connection to database timed out after <NUM> ms",
    "Cache miss for key <*>",
    "Order <NUM> shipped to <*> in <NUM> days",
]


def _corpus(rng: random.Random) -> list[tuple[int, str]]:
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    out = []
    for _ in range(3000):
        kind = rng.randrange(len(TEMPLATES))
        if kind == 0:
            ip = f"10.1.{rng.randrange(255)}.{rng.randrange(255)}"
            line = f"Session opened for user {rng.choice(users)} from {ip}"
        elif kind == 1:
            payment = f"pay_{rng.choice('abcdef')}{rng.choice('xyz')}"
            line = f"Card payment {payment} declined: insufficient funds"
        elif kind == 2:
            line = f"Connection to database timed out after {rng.randrange(100, 9000)} ms"
        elif kind == 3:
            line = f"Cache miss for key session:{rng.choice(users)}"
        else:
            city = rng.choice(["Berlin", "Oslo", "Lima"])
            line = f"Order {rng.randrange(10**6)} shipped to {city} in {rng.randrange(1, 9)} days"
        out.append((kind, line))
    return out


def test_known_templates_come_out() -> None:
    # As in every Drain, the first two words route the line down the tree, so a variable
    # there (one without digits, which would go down the wildcard branch) splits a
    # template; the corpus keeps its variables further right, as most log lines do.
    drain = Drain()
    by_kind: dict[int, set[int]] = defaultdict(set)
    for kind, line in _corpus(random.Random(7)):
        cluster, _ = drain.add(line)
        by_kind[kind].add(cluster.id)
    # Each template is one cluster, and no two templates share one.
    assert all(len(ids) == 1 for ids in by_kind.values())
    assert len({next(iter(ids)) for ids in by_kind.values()}) == len(TEMPLATES)
    templates = sorted(c.template for c in drain.clusters.values())
    assert templates == sorted(TEMPLATES)


def test_restored_miner_routes_like_the_original() -> None:
    first = Drain()
    lines = [line for _, line in _corpus(random.Random(3))]
    ids = [first.add(line)[0].id for line in lines[:2000]]
    second = Drain()
    for cluster in first.clusters.values():
        second.restore(cluster.id, cluster.template, cluster.size)
    assert [second.add(line)[0].id for line in lines[:2000]] == ids
    assert len(second.clusters) == len(first.clusters)


def grouping_accuracy(contents: list[str], truth: list[str]) -> float:
    drain = Drain()
    predicted = [drain.add(line)[0].id for line in contents]
    by_pred: dict[int, set[int]] = defaultdict(set)
    by_true: dict[str, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        by_pred[p].add(i)
        by_true[t].add(i)
    correct = 0
    for lines in by_pred.values():
        events = {truth[i] for i in lines}
        if len(events) == 1 and by_true[next(iter(events))] == lines:
            correct += len(lines)
    return correct / len(contents)


@pytest.mark.skipif(not LOGHUB.exists(), reason="loghub-2k samples are not present")
def test_loghub_grouping_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    results = {}
    for name in PUBLISHED_DRAIN:
        with (LOGHUB / f"{name}_2k.log_structured.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        results[name] = grouping_accuracy(
            [r["Content"] for r in rows], [r["EventId"] for r in rows]
        )
    mean = sum(results.values()) / len(results)
    published = sum(PUBLISHED_DRAIN.values()) / len(PUBLISHED_DRAIN)
    with capsys.disabled():
        print("\nloghub-2k grouping accuracy (Sentinel, one config | Drain, tuned per dataset)")
        for name, value in results.items():
            print(f"  {name:<12} {value:.4f} | {PUBLISHED_DRAIN[name]:.4f}")
        print(f"  {'mean':<12} {mean:.4f} | {published:.4f}")
    # The bar from the README: match the tuned figures on average with one configuration.
    assert mean >= published
    assert min(results.values()) >= 0.7


def test_lines_differing_only_in_digits_still_generalise() -> None:
    # The shape cache must not freeze a literal with digits into the template.
    drain = Drain()
    for i in range(5):
        drain.add(f"connection reset by peer while reading from db-{i}")
    [cluster] = drain.clusters.values()
    assert cluster.template == "connection reset by peer while reading from <*>"
    assert cluster.size == 5


_WORDS = ["alpha", "beta", "gamma", "delta", "error", "timeout", "user", "db", "=", "ok"]


@given(
    st.lists(
        st.lists(
            st.one_of(st.sampled_from(_WORDS), st.integers(0, 10**6).map(str)),
            min_size=1,
            max_size=8,
        ).map(" ".join),
        min_size=1,
        max_size=60,
    )
)
def test_every_line_matches_its_template(messages: list[str]) -> None:
    """Whatever the order of lines, a line's cluster template equals its masked tokens
    position by position, except where the template has a wildcard."""
    drain = Drain()
    assigned = [(drain.add(m)[0].id, m) for m in messages]
    for cluster_id, message in assigned:
        template = drain.clusters[cluster_id].tokens
        tokens = tokenize(message)
        assert len(template) == len(tokens)
        assert all(t in (WILDCARD, w) for t, w in zip(template, tokens, strict=True))


def test_cluster_count_is_bounded() -> None:
    drain = Drain(DrainConfig(max_clusters=5))
    for i in range(200):
        word = f"{chr(97 + i % 26)}{chr(97 + i // 26)}"
        drain.add(f"opaque thing {word} {word}x {word}y")
    assert len(drain.clusters) == 5
