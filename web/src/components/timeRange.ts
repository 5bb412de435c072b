// The shared time range, kept in the URL so a link or a reload shows the same window:
//   ?range=15m|1h|6h|24h|7d            (relative to now; the default is 1h)
//   ?from=<ISO 8601>&to=<ISO 8601>      (absolute)
// Pure helpers; the hook is useTimeRange() in TimeRangePicker.tsx.

export const PRESETS = ["15m", "1h", "6h", "24h", "7d"] as const;
export type Preset = (typeof PRESETS)[number];
export const DEFAULT_PRESET: Preset = "1h";

export type TimeRange =
  | { kind: "relative"; preset: Preset }
  | { kind: "absolute"; from: Date; to: Date };

export const RANGE_PARAMS = ["range", "from", "to"] as const;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function presetMs(preset: Preset): number {
  const unit = preset.slice(-1) as keyof typeof UNIT_MS;
  return Number(preset.slice(0, -1)) * UNIT_MS[unit];
}

export function presetLabel(preset: Preset): string {
  const n = Number(preset.slice(0, -1));
  const unit = { m: "minute", h: "hour", d: "day" }[preset.slice(-1) as "m" | "h" | "d"];
  return n === 1 ? `Last ${unit}` : `Last ${n} ${unit}s`;
}

function isPreset(value: string | null): value is Preset {
  return value !== null && (PRESETS as readonly string[]).includes(value);
}

function parseInstant(value: string | null): Date | null {
  if (!value) return null;
  const date = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The range a URL asks for; anything unreadable falls back to the default. */
export function parseTimeRange(params: URLSearchParams): TimeRange {
  const from = parseInstant(params.get("from"));
  const to = parseInstant(params.get("to"));
  if (from && to && from < to) return { kind: "absolute", from, to };
  const preset = params.get("range");
  return { kind: "relative", preset: isPreset(preset) ? preset : DEFAULT_PRESET };
}

/** Start and end at `now` (relative ranges move with time). */
export function timeRangeBounds(range: TimeRange, now: number = Date.now()): { start: Date; end: Date } {
  if (range.kind === "absolute") return { start: range.from, end: range.to };
  return { start: new Date(now - presetMs(range.preset)), end: new Date(now) };
}

export function timeRangeDurationMs(range: TimeRange): number {
  return range.kind === "absolute" ? range.to.getTime() - range.from.getTime() : presetMs(range.preset);
}

/** A stable string for query keys: "1h", or "from..to" in epoch ms. */
export function timeRangeKey(range: TimeRange): string {
  return range.kind === "relative" ? range.preset : `${range.from.getTime()}..${range.to.getTime()}`;
}

/** Write the range into URL parameters, keeping every other parameter. */
export function withTimeRange(params: URLSearchParams, range: TimeRange): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of RANGE_PARAMS) next.delete(name);
  if (range.kind === "absolute") {
    next.set("from", range.from.toISOString());
    next.set("to", range.to.toISOString());
  } else if (range.preset !== DEFAULT_PRESET) {
    next.set("range", range.preset);
  }
  return next;
}

/** Only the time-range part of a query string ("?range=6h" or ""), for links between pages. */
export function keepTimeRange(search: string): string {
  const current = new URLSearchParams(search);
  const kept = new URLSearchParams();
  for (const name of RANGE_PARAMS) {
    const value = current.get(name);
    if (value !== null) kept.set(name, value);
  }
  const text = kept.toString();
  return text ? `?${text}` : "";
}

/** A series step (seconds, whole minutes) giving at most ~`points` points over the range. */
export function stepSeconds(range: TimeRange, points = 60): number {
  const minutes = Math.ceil(timeRangeDurationMs(range) / 60_000 / points);
  return Math.max(1, minutes) * 60;
}

/** Value for <input type="datetime-local"> in the browser's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}
