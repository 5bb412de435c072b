// Formatting for the alerting and on-call pages. Pure.

/** "45 s", "12 min", "2 h 5 min", "3 d 4 h" */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** An alert's measured value against its threshold: "1250 (threshold 1000)". */
export function formatValue(current: number | null, threshold: number | null): string {
  if (current === null) return threshold === null ? "–" : `threshold ${fmt(threshold)}`;
  return threshold === null ? fmt(current) : `${fmt(current)} (threshold ${fmt(threshold)})`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4).replace(/\.?0+$/, "");
}

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
