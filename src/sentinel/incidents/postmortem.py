"""The first draft of a post-mortem, as a JSON document and as Markdown. Pure.

The service gathers the incident, its timeline, alerts, suggestions and action items
into plain dicts; this module turns them into the document and its Markdown text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sentinel.incidents.response_times import elapsed


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "ongoing"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if minutes or hours:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


def build(
    incident: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    alerts: Sequence[Mapping[str, Any]],
    suggestions: Sequence[Mapping[str, Any]],
    action_items: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The post-mortem document: summary, impact, timeline, response times, alerts,
    root cause with evidence, action items."""
    started: datetime = incident["started_at"]
    ack: datetime | None = incident.get("acknowledged_at")
    resolved: datetime | None = incident.get("resolved_at")
    duration = elapsed(started, resolved)
    return {
        "incident_id": incident["id"],
        "title": incident["title"],
        "summary": incident.get("summary") or incident.get("description") or incident["title"],
        "status": incident["status"],
        "severity": incident["severity"],
        "priority": incident.get("priority"),
        "commander": incident.get("commander"),
        "participants": list(incident.get("participants") or []),
        "impact": {
            "services": list(incident.get("affected_services") or []),
            "started_at": _iso(started),
            "resolved_at": _iso(resolved) if resolved else None,
            "duration_seconds": duration,
            "duration": human_duration(duration),
        },
        "response": {
            "time_to_acknowledge_seconds": elapsed(started, ack),
            "time_to_resolve_seconds": duration,
        },
        "timeline": [dict(e) for e in timeline],
        "alerts": [dict(a) for a in alerts],
        "root_cause": incident.get("root_cause"),
        "suggestions": [dict(s) for s in suggestions],
        "action_items": [dict(a) for a in action_items],
    }


def _evidence_line(evidence: Mapping[str, Any]) -> str:
    keep = ("reasons", "call_path", "peak_error_rate", "baseline_error_rate", "errors", "calls")
    parts = []
    for key in keep:
        if key in evidence and evidence[key] not in (None, [], ""):
            value = evidence[key]
            if isinstance(value, list):
                value = " → ".join(map(str, value)) if key == "call_path" else "; ".join(value)
            parts.append(f"{key.replace('_', ' ')}: {value}")
    for key in ("template", "pattern_id"):
        if key in evidence:
            parts.append(f"{key.replace('_', ' ')}: {evidence[key]}")
    traces = [str(t.get("trace_id")) for t in evidence.get("example_traces") or []]
    if traces:
        parts.append(f"example failing traces: {', '.join(traces)}")
    return ", ".join(parts)


def to_markdown(doc: Mapping[str, Any]) -> str:
    impact, response = doc["impact"], doc["response"]
    lines = [
        f"# Post-mortem: {doc['title']} (incident {doc['incident_id']})",
        "",
        "## Summary",
        "",
        str(doc["summary"]),
        "",
        f"- Severity: {doc['severity']}"
        + (f", priority {doc['priority']}" if doc["priority"] else ""),
        f"- Status: {doc['status']}",
        f"- Commander: {doc['commander'] or 'none assigned'}",
    ]
    if doc["participants"]:
        people = ", ".join(f"{p['name']} ({p['role']})" for p in doc["participants"])
        lines.append(f"- Participants: {people}")
    lines += [
        "",
        "## Impact",
        "",
        f"- Services: {', '.join(impact['services']) or 'none recorded'}",
        f"- Started: {impact['started_at']}",
        f"- Resolved: {impact['resolved_at'] or 'not yet'}",
        f"- Duration: {impact['duration']}",
        "",
        "## Detection and response",
        "",
        f"- Time to acknowledge: {human_duration(response['time_to_acknowledge_seconds'])}",
        f"- Time to resolve: {human_duration(response['time_to_resolve_seconds'])}",
        "",
        "## Timeline",
        "",
        "| time | kind | author | what |",
        "|---|---|---|---|",
    ]
    for e in doc["timeline"]:
        text = str(e.get("message", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {_iso(e.get('at'))} | {e.get('kind')} | {e.get('author')} | {text} |")
    lines += ["", "## Alerts", ""]
    if doc["alerts"]:
        for a in doc["alerts"]:
            lines.append(
                f"- [{a.get('severity')}] {a.get('alert_name')} on {a.get('service') or '-'}: "
                f"{a.get('title') or ''} "
                f"(alert {a.get('alert_id')}, fired {_iso(a.get('fired_at'))})"
            )
    else:
        lines.append("No alerts were linked.")
    lines += ["", "## Root cause", ""]
    root = doc.get("root_cause")
    if root:
        lines.append(f"{root.get('summary')} (recorded by {root.get('author')})")
        if root.get("service"):
            lines.append(f"- Service: {root['service']}")
    else:
        lines.append("Not recorded yet.")
    lines += ["", "### Suggested from telemetry", ""]
    if doc["suggestions"]:
        for s in doc["suggestions"]:
            lines.append(
                f"1. **{s['subject']}** ({s['kind']}, score {s['score']:.2f}): {s['summary']}"
            )
            evidence = _evidence_line(s.get("evidence", {}))
            if evidence:
                lines.append(f"   - Evidence: {evidence}")
    else:
        lines.append("No suggestions.")
    lines += ["", "## Action items", ""]
    if doc["action_items"]:
        for item in doc["action_items"]:
            box = "x" if item.get("status") == "done" else " "
            owner = f" (owner: {item['owner']})" if item.get("owner") else ""
            lines.append(f"- [{box}] {item['title']}{owner}")
    else:
        lines.append("None yet.")
    return "\n".join(lines) + "\n"
