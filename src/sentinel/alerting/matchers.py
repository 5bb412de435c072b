"""Alertmanager label matchers: =, !=, =~, !~ with anchored regexes. Pure.

A label that is absent matches as the empty string, as in Alertmanager, so `team=""`
selects alerts without a team label and `team!=""` selects those with one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
MAX_REGEX_LENGTH = 1024


class MatcherError(ValueError):
    """A matcher that cannot be used; the message says why."""


class MatchType(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True)
class Matcher:
    name: str
    type: MatchType
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(cls, name: str, type: MatchType | str, value: str) -> Matcher:
        kind = MatchType(type)
        if not LABEL_NAME.match(name):
            raise MatcherError(f"{name!r} is not a valid label name")
        regex = None
        if kind in (MatchType.REGEX, MatchType.NOT_REGEX):
            if len(value) > MAX_REGEX_LENGTH:
                raise MatcherError(f"the regex for {name!r} is longer than {MAX_REGEX_LENGTH}")
            try:
                regex = re.compile(f"^(?:{value})$")
            except re.error as exc:
                raise MatcherError(f"invalid regex {value!r} for {name!r}: {exc}") from None
        return cls(name, kind, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.type is MatchType.EQUAL:
            return actual == self.value
        if self.type is MatchType.NOT_EQUAL:
            return actual != self.value
        assert self._regex is not None
        found = self._regex.match(actual) is not None
        return found if self.type is MatchType.REGEX else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.type.value}"{escaped}"'


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def selects_everything(matchers: Iterable[Matcher]) -> bool:
    """True when every matcher also matches the empty string (or there is none): the set
    then matches any alert that lacks its labels, which is nearly every alert.
    Alertmanager refuses such a silence, and so does Sentinel for silences and
    maintenance windows."""
    return all(m.matches({}) for m in matchers)


_ITEM = re.compile(
    r"""\s*([^\s=!~,{}"]+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,}"]*?)\s*(?:,|$)""",
    re.DOTALL,
)


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        body = raw[1:-1]
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)
    return raw


def parse_matchers(text: str) -> list[Matcher]:
    """Parse `{a="b",c=~"d.*"}` (braces and quotes optional, as amtool accepts)."""
    body = text.strip()
    if body.startswith("{"):
        if not body.endswith("}"):
            raise MatcherError(f"unbalanced braces in {text!r}")
        body = body[1:-1].strip()
    if not body:
        return []
    out: list[Matcher] = []
    position = 0
    while position < len(body):
        found = _ITEM.match(body, position)
        if found is None or found.end() == position:
            raise MatcherError(f"cannot parse matcher at {body[position:]!r} in {text!r}")
        name, op, raw = found.groups()
        out.append(Matcher.create(name, op, _unquote(raw)))
        position = found.end()
    return out


def parse_matcher(text: str) -> Matcher:
    parsed = parse_matchers(text)
    if len(parsed) != 1:
        raise MatcherError(f"expected one matcher, got {len(parsed)} in {text!r}")
    return parsed[0]
