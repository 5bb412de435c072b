"""OpenSLO v1 (SLO, SLI, AlertPolicy) to and from Sentinel's SLO definitions. Pure.

Mapping: ratioMetric good/total and thresholdMetric indicators; metric sources
`sentinel` (measurements), `sentinel-spans` (service, operation; a thresholdMetric over
`duration_ms` is the latency SLI) and `Prometheus` (query, url). An AlertPolicy's
AlertCondition of kind burnrate maps to a multi-window condition: `lookbackWindow` is the
long window, `alertAfter` the short one, `threshold` the burn rate, `severity` page/ticket.
Fields this mapping does not use are reported back, never dropped silently.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]

from sentinel.slo.spec import alerting_from_json, window_from_json
from sentinel.slo.windows import format_duration

API_VERSION = "openslo/v1"
CALENDAR = {"1w": "week", "1M": "month", "1Q": "quarter"}
CALENDAR_BACK = {v: k for k, v in CALENDAR.items()}

# The fields this importer understands, per path; anything else is reported.
KNOWN: dict[str, set[str]] = {
    "doc": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "displayName", "labels", "annotations"},
    "slo.spec": {
        "description",
        "service",
        "indicator",
        "indicatorRef",
        "timeWindow",
        "budgetingMethod",
        "objectives",
        "alertPolicies",
    },
    "timeWindow": {"duration", "isRolling", "calendar"},
    "calendar": {"startTime", "timeZone"},
    "objective": {
        "displayName",
        "target",
        "targetPercent",
        "timeSliceTarget",
        "timeSliceWindow",
        "op",
        "value",
    },
    "sli.spec": {"description", "ratioMetric", "thresholdMetric"},
    "ratioMetric": {"counter", "good", "total", "bad"},
    "metric": {"metricSource"},
    "metricSource": {"type", "spec", "metricSourceRef"},
    "alertpolicy.spec": {
        "description",
        "alertWhenBreaching",
        "alertWhenResolved",
        "alertWhenNoData",
        "conditions",
        "notificationTargets",
    },
    "condition": {"kind", "metadata", "spec", "conditionRef"},
    "condition.spec": {"description", "severity", "condition"},
    "condition.condition": {"kind", "op", "threshold", "lookbackWindow", "alertAfter"},
}


class OpenSloError(ValueError):
    """The documents cannot be imported as they are."""


class Reader:
    """Walks documents, collecting unknown fields as 'Kind/name: path.field'."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def check(self, where: str, data: Any, known: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise OpenSloError(f"{where}: expected a mapping")
        for key in data:
            if key not in KNOWN[known]:
                self.unknown.append(f"{where}.{key}")
        return data


def _source(reader: Reader, where: str, metric: Any) -> tuple[str, dict[str, Any]]:
    metric = reader.check(where, metric, "metric")
    source = reader.check(f"{where}.metricSource", metric.get("metricSource"), "metricSource")
    kind = str(source.get("type", "")).lower()
    spec = source.get("spec") or {}
    if not isinstance(spec, dict):
        raise OpenSloError(f"{where}.metricSource.spec: expected a mapping")
    return kind, spec


def _sli(reader: Reader, where: str, spec: Any, objective: dict[str, Any]) -> dict[str, Any]:
    spec = reader.check(where, spec, "sli.spec")
    if "ratioMetric" in spec:
        ratio = reader.check(f"{where}.ratioMetric", spec["ratioMetric"], "ratioMetric")
        if "bad" in ratio:
            raise OpenSloError(f"{where}.ratioMetric.bad: only good/total ratios are supported")
        good_kind, good = _source(reader, f"{where}.ratioMetric.good", ratio.get("good"))
        total_kind, total = _source(reader, f"{where}.ratioMetric.total", ratio.get("total"))
        if good_kind != total_kind:
            raise OpenSloError(f"{where}: good and total must use the same metric source")
        if good_kind == "prometheus":
            return {
                "source": "promql",
                "url": good.get("url") or total.get("url"),
                "good_query": good.get("query"),
                "total_query": total.get("query"),
            }
        if good_kind == "sentinel-spans":
            return {
                "source": "span_ratio",
                "service": good.get("service"),
                "operation": good.get("operation"),
            }
        if good_kind == "sentinel":
            return {"source": "measurements"}
        raise OpenSloError(f"{where}: metric source type {good_kind!r} is not supported")
    if "thresholdMetric" in spec:
        kind, source = _source(reader, f"{where}.thresholdMetric", spec["thresholdMetric"])
        if kind != "sentinel-spans" or source.get("measure", "duration_ms") != "duration_ms":
            raise OpenSloError(
                f"{where}: thresholdMetric needs a sentinel-spans duration_ms source"
            )
        if objective.get("op") not in ("lt", "lte") or objective.get("value") is None:
            raise OpenSloError(f"{where}: a latency objective needs op lte and a value in ms")
        return {
            "source": "span_latency",
            "service": source.get("service"),
            "operation": source.get("operation"),
            "threshold_ms": objective["value"],
        }
    raise OpenSloError(f"{where}: the indicator needs ratioMetric or thresholdMetric")


def _window(reader: Reader, where: str, windows: Any) -> Any:
    if not isinstance(windows, list) or len(windows) != 1:
        raise OpenSloError(f"{where}.timeWindow: exactly one time window is supported")
    w = reader.check(f"{where}.timeWindow[0]", windows[0], "timeWindow")
    duration = str(w.get("duration", ""))
    if w.get("isRolling", True) is False:
        if duration not in CALENDAR:
            raise OpenSloError(f"{where}.timeWindow: calendar windows are 1w, 1M or 1Q")
        calendar = reader.check(
            f"{where}.timeWindow[0].calendar", w.get("calendar") or {}, "calendar"
        )
        return {
            "kind": "calendar",
            "unit": CALENDAR[duration],
            "tz": calendar.get("timeZone", "UTC"),
        }
    return duration


def _conditions(reader: Reader, where: str, policy: Any) -> list[dict[str, Any]]:
    spec = reader.check(f"{where}.spec", policy.get("spec"), "alertpolicy.spec")
    out = []
    for n, item in enumerate(spec.get("conditions") or []):
        here = f"{where}.spec.conditions[{n}]"
        item = reader.check(here, item, "condition")
        if "conditionRef" in item:
            raise OpenSloError(f"{here}: conditionRef is not supported; inline the condition")
        cspec = reader.check(f"{here}.spec", item.get("spec"), "condition.spec")
        cond = reader.check(f"{here}.spec.condition", cspec.get("condition"), "condition.condition")
        if str(cond.get("kind", "")).lower() != "burnrate":
            raise OpenSloError(f"{here}: only burnrate conditions are supported")
        out.append(
            {
                "severity": str(cspec.get("severity", "page")).lower(),
                "long_window": str(cond.get("lookbackWindow", "")),
                "short_window": str(cond.get("alertAfter", "")),
                "burn_rate": cond.get("threshold"),
            }
        )
    return out


def parse(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """YAML documents → SLO create bodies (dicts) and the unknown fields found."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise OpenSloError(f"not valid YAML: {exc}") from exc
    reader = Reader()
    by_kind: dict[str, dict[str, Any]] = {"SLO": {}, "SLI": {}, "AlertPolicy": {}}
    for n, doc in enumerate(docs):
        doc = reader.check(f"document[{n}]", doc, "doc")
        if doc.get("apiVersion") != API_VERSION:
            raise OpenSloError(f"document[{n}]: apiVersion must be {API_VERSION}")
        kind = doc.get("kind")
        if kind not in by_kind:
            reader.unknown.append(f"document[{n}]: kind {kind!r} is not imported")
            continue
        meta = reader.check(f"{kind}[{n}].metadata", doc.get("metadata"), "metadata")
        name = meta.get("name")
        if not name:
            raise OpenSloError(f"document[{n}]: metadata.name is required")
        by_kind[kind][str(name)] = doc
    bodies = []
    for name, doc in by_kind["SLO"].items():
        where = f"SLO/{name}"
        spec = reader.check(f"{where}.spec", doc.get("spec"), "slo.spec")
        objectives = spec.get("objectives") or []
        if len(objectives) != 1:
            raise OpenSloError(f"{where}: exactly one objective is supported")
        objective = reader.check(f"{where}.spec.objectives[0]", objectives[0], "objective")
        target = objective.get("target")
        if target is None and objective.get("targetPercent") is not None:
            target = float(objective["targetPercent"]) / 100
        if "indicatorRef" in spec:
            ref = by_kind["SLI"].get(str(spec["indicatorRef"]))
            if ref is None:
                raise OpenSloError(f"{where}: indicatorRef {spec['indicatorRef']!r} not found")
            indicator = ref
        else:
            indicator = spec.get("indicator") or {}
        sli = _sli(reader, f"{where}.indicator.spec", indicator.get("spec"), objective)
        method = str(spec.get("budgetingMethod", "Occurrences")).lower()
        if method == "timeslices" and str(objective.get("timeSliceWindow", "1m")) not in (
            "1m",
            "60s",
        ):
            raise OpenSloError(f"{where}: only 1m time slices are supported")
        conditions: list[dict[str, Any]] = []
        for p, policy in enumerate(spec.get("alertPolicies") or []):
            if isinstance(policy, str | dict) and (
                isinstance(policy, str) or "alertPolicyRef" in policy
            ):
                ref_name = policy if isinstance(policy, str) else policy["alertPolicyRef"]
                found = by_kind["AlertPolicy"].get(str(ref_name))
                if found is None:
                    raise OpenSloError(f"{where}: AlertPolicy {ref_name!r} not found")
                policy = found
            conditions += _conditions(reader, f"{where}.spec.alertPolicies[{p}]", policy)
        meta = doc["metadata"]
        labels = meta.get("labels") or {}
        body: dict[str, Any] = {
            "name": name,
            "service": spec.get("service") or "",
            "description": spec.get("description") or meta.get("displayName") or "",
            "target": target,
            "window": _window(reader, where, spec.get("timeWindow")),
            "budgeting": method,
            "sli": {k: v for k, v in sli.items() if v is not None},
            "labels": {
                str(k): v if isinstance(v, str) else ",".join(map(str, v))
                for k, v in labels.items()
            },
        }
        if objective.get("timeSliceTarget") is not None:
            body["timeslice_target"] = objective["timeSliceTarget"]
        if conditions:
            body["alerting"] = {"conditions": conditions}
        bodies.append(body)
    return bodies, reader.unknown


def _metric(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metricSource": {"type": kind, "spec": spec}}


def export(slo: Any) -> str:
    """One SLO (with its indicator inline and its AlertPolicy) as OpenSLO v1 YAML."""
    params = dict(slo.sli_params)
    objective: dict[str, Any] = {"displayName": slo.name, "target": slo.target}
    if slo.sli_source == "promql":
        indicator = {
            "ratioMetric": {
                "counter": True,
                "good": _metric(
                    "Prometheus", {"query": params["good_query"], "url": params["url"]}
                ),
                "total": _metric(
                    "Prometheus", {"query": params["total_query"], "url": params["url"]}
                ),
            }
        }
    elif slo.sli_source == "span_latency":
        source = {k: params[k] for k in ("service", "operation") if params.get(k)}
        indicator = {
            "thresholdMetric": _metric("sentinel-spans", {**source, "measure": "duration_ms"})
        }
        objective.update(op="lte", value=params["threshold_ms"])
    else:
        kind = "sentinel-spans" if slo.sli_source == "span_ratio" else "sentinel"
        source = {k: params[k] for k in ("service", "operation") if params.get(k)}
        indicator = {
            "ratioMetric": {
                "counter": True,
                "good": _metric(kind, {**source, "events": "good"}),
                "total": _metric(kind, {**source, "events": "total"}),
            }
        }
    if slo.budgeting == "timeslices":
        objective["timeSliceWindow"] = "1m"
        objective["timeSliceTarget"] = slo.timeslice_target or slo.target
    window = window_from_json(slo.window)
    if window.kind == "calendar":
        time_window = {
            "duration": CALENDAR_BACK[str(window.unit)],
            "isRolling": False,
            "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": window.tz},
        }
    else:
        assert window.duration is not None
        time_window = {"duration": format_duration(window.duration), "isRolling": True}
    alerting = alerting_from_json(slo.alerting)
    policy_name = f"{slo.name}-burn-rate"
    slo_doc = {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {"name": slo.name, "displayName": slo.name, "labels": dict(slo.labels)},
        "spec": {
            "description": slo.description,
            "service": slo.service,
            "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": indicator},
            "timeWindow": [time_window],
            "budgetingMethod": "Timeslices" if slo.budgeting == "timeslices" else "Occurrences",
            "objectives": [objective],
            "alertPolicies": [policy_name],
        },
    }
    policy_doc = {
        "apiVersion": API_VERSION,
        "kind": "AlertPolicy",
        "metadata": {"name": policy_name},
        "spec": {
            "description": "Multi-window multi-burn-rate alerts (SRE Workbook)",
            "alertWhenBreaching": True,
            "alertWhenResolved": True,
            "alertWhenNoData": False,
            "conditions": [
                {
                    "kind": "AlertCondition",
                    "metadata": {"name": c.key},
                    "spec": {
                        "severity": c.severity,
                        "condition": {
                            "kind": "burnrate",
                            "op": "gte",
                            "threshold": round(c.threshold(window.nominal_length), 9),
                            "lookbackWindow": format_duration(c.long_window),
                            "alertAfter": format_duration(c.short_window),
                        },
                    },
                }
                for c in alerting.conditions
            ],
            "notificationTargets": [],
        },
    }
    text: str = yaml.safe_dump_all([slo_doc, policy_doc], sort_keys=False)
    return text
