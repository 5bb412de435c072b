// How SLO definitions and numbers read (pure).

/** "30-day rolling" or "calendar month (Europe/Berlin)". */
export function windowLabel(window: Record<string, unknown>): string {
  if (window.kind === "calendar") {
    const tz = typeof window.tz === "string" && window.tz !== "UTC" ? ` (${window.tz})` : "";
    return `calendar ${String(window.unit ?? "")}${tz}`;
  }
  const duration = String(window.duration ?? "");
  const match = /^(\d+)([mhdw])$/.exec(duration);
  if (!match) return `${duration} rolling`;
  const unit = { m: "minute", h: "hour", d: "day", w: "week" }[match[2] as "m" | "h" | "d" | "w"];
  return `${match[1]}-${unit} rolling`;
}

/** What the SLI counts: "non-error spans of POST /api/checkout", "spans ≤ 1000 ms", … */
export function sliLabel(sli: Record<string, unknown>): string {
  const operation = typeof sli.operation === "string" && sli.operation ? ` of ${sli.operation}` : "";
  switch (sli.source) {
    case "span_ratio":
      return `non-error spans${operation}`;
    case "span_latency":
      return `spans${operation} ≤ ${Number(sli.threshold_ms)} ms`;
    case "promql":
      return "PromQL good / total";
    case "measurements":
    default:
      return "posted good / total events";
  }
}

/** A target or an SLI as a percentage with the digits it needs: 0.999 → "99.9%", 0.9995 → "99.95%". */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "–";
  const pct = ratio * 100;
  for (const digits of [0, 1, 2, 3]) {
    const text = pct.toFixed(digits);
    if (Math.abs(Number(text) - pct) < 1e-9 || digits === 3) return `${Number(text)}%`;
  }
  return `${pct}%`;
}

/** A span of time for people: "45 s", "12 min", "3 h 20 min", "4 d 6 h". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A burn rate: "22.5×", "0.8×", "0×". */
export function formatBurn(rate: number): string {
  if (rate === 0) return "0×";
  return `${Number(rate.toFixed(rate >= 10 ? 1 : 2))}×`;
}

/** Budget left, as the list and the detail say it. */
export function budgetLabel(remainingRatio: number): string {
  if (remainingRatio <= 0) {
    const over = -remainingRatio;
    return over > 0.0005 ? `exhausted (overspent by ${formatRatio(Math.round(over * 1000) / 1000)})` : "exhausted";
  }
  return `${formatRatio(Math.round(remainingRatio * 1000) / 1000)} left`;
}

export type BudgetHealth = "ok" | "low" | "out";

export function budgetHealth(remainingRatio: number): BudgetHealth {
  return remainingRatio <= 0 ? "out" : remainingRatio < 0.25 ? "low" : "ok";
}
