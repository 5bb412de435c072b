"""Runbook parameter templates: `{{ incident.title }}`, `{{ alerts[0].labels.instance }}`,
`{{ alert.service | urlencode }}`. Pure.

Deliberately tiny and not Jinja: a runbook template is written by any responder and
rendered by the server, so it can only look values up, never call code. A reference to
a field that does not exist is an error naming the field and what exists there, so a
broken runbook fails loudly before any HTTP call is made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")
_FILTERS = {
    "urlencode": lambda v: quote(_text(v), safe=""),
    "json": lambda v: json.dumps(v, default=str),
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
}


ROOTS = ("incident", "alert", "alerts")


class TemplateError(ValueError):
    """A template that cannot be rendered; the message names the broken reference."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def _parse(path: str) -> list[str | int]:
    """`a.b[0].c` or `labels["k.with.dots"]` as keys and indexes; TemplateError if it
    does not parse."""
    path = path.strip()
    if not path:
        raise TemplateError("An empty {{ }} placeholder.")
    keys: list[str | int] = []
    position = 0
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None or step.end() == position:
            raise TemplateError(f"Cannot parse the reference {path!r} at {path[position:]!r}.")
        name, index, quoted = step.groups()
        keys.append(int(index) if index is not None else (name or quoted or ""))
        position = step.end()
    return keys


def _filters(expression: str) -> tuple[str, list[str]]:
    """The reference and the filters of `reference | filter | …`, every filter known."""
    parts = [p.strip() for p in expression.split("|")]
    for name in parts[1:]:
        if name not in _FILTERS:
            raise TemplateError(
                f"Unknown filter {name!r} in {{{{ {expression} }}}}; "
                f"known: {', '.join(sorted(_FILTERS))}."
            )
    return parts[0], parts[1:]


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """Walk `a.b[0].c` (or `labels["k.with.dots"]`) through dicts and lists."""
    value: Any = context
    walked = ""
    for key in _parse(path):
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                size = len(value) if isinstance(value, list) else 0
                raise TemplateError(
                    f"{path.strip()!r}: {walked or 'the context'} has no item [{key}] "
                    f"(it holds {size})."
                )
            value = value[key]
            walked += f"[{key}]"
        else:
            if not isinstance(value, Mapping) or key not in value:
                known = ", ".join(sorted(value)) if isinstance(value, Mapping) else "nothing"
                raise TemplateError(
                    f"{path.strip()!r}: {walked or 'the context'} has no field {key!r} "
                    f"(available: {known})."
                )
            value = value[key]
            walked += f".{key}" if walked else key
    return value


def _evaluate(context: Mapping[str, Any], expression: str) -> Any:
    reference, filters = _filters(expression)
    value = lookup(context, reference)
    for name in filters:
        value = _FILTERS[name](value)
    return value


def _unclosed(template: str) -> None:
    """A `{{` left once every whole placeholder is taken out is a typo, not text: it
    would otherwise go out literally in a URL, header or body."""
    rest = _PLACEHOLDER.sub("", template)
    if "{{" in rest:
        at = rest.index("{{")
        raise TemplateError(f"An unclosed '{{{{' in {template!r} (at {rest[at : at + 30]!r}).")


def check(template: Any) -> None:
    """What can be known before there is an incident: every placeholder closed, each
    reference parses and starts at incident, alert or alerts, every filter known.
    Whether a field exists is judged when the step runs."""
    if isinstance(template, list):
        for item in template:
            check(item)
        return
    if isinstance(template, dict):
        for item in template.values():
            check(item)
        return
    if not isinstance(template, str):
        return
    _unclosed(template)
    for match in _PLACEHOLDER.finditer(template):
        reference, _ = _filters(match.group(1))
        first = _parse(reference)[0]
        if first not in ROOTS:
            raise TemplateError(f"{{{{ {match.group(1)} }}}} must start with {', '.join(ROOTS)}.")


def render(template: str, context: Mapping[str, Any]) -> str:
    """Replace every `{{ reference | filter }}` in a string."""
    _unclosed(template)
    return _PLACEHOLDER.sub(lambda m: _text(_evaluate(context, m.group(1))), template)


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON-like value (dict keys stay as written)."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    return value


def references(template: Any) -> list[str]:
    """Every reference a template (or JSON-like value of templates) makes."""
    if isinstance(template, str):
        return [m.group(1).split("|")[0].strip() for m in _PLACEHOLDER.finditer(template)]
    if isinstance(template, list):
        return [r for v in template for r in references(v)]
    if isinstance(template, dict):
        return [r for v in template.values() for r in references(v)]
    return []
