// The two-week schedule timeline laid out for SVG: a lane per layer (its own rotation),
// a lane of overrides and swaps, and the final lane (who is actually paged) with override
// segments highlighted and gaps marked. Pure: times in, x positions out.

export interface Span {
  user_id: number;
  start: string;
  end: string;
  /** Layer index; null for an override segment of the final lane. */
  layer?: number | null;
}

export interface TimelineInput {
  start: Date;
  end: Date;
  /** Plot width in SVG units (lane labels are drawn left of it). */
  width: number;
  layers: { index: number; name: string; shifts: Span[] }[];
  overrides: { id: number; user_id: number; replaces_user_id: number | null; start: string; end: string }[];
  final: Span[];
  gaps: { start: string; end: string }[];
  now?: Date;
}

export type BarKind = "shift" | "override" | "swap" | "gap";

export interface Bar {
  key: string;
  kind: BarKind;
  /** null for a gap. */
  userId: number | null;
  /** The person a swap takes shifts from. */
  replacesUserId?: number | null;
  x: number;
  width: number;
  start: Date;
  end: Date;
  /** Bars the window cut: they go on before the start or after the end. */
  clippedStart: boolean;
  clippedEnd: boolean;
}

export interface Lane {
  id: string;
  label: string;
  kind: "layer" | "overrides" | "final";
  bars: Bar[];
}

export interface Tick {
  x: number;
  date: Date;
  /** Week starts (Mondays) get a stronger line. */
  major: boolean;
}

export interface TimelineLayout {
  lanes: Lane[];
  ticks: Tick[];
  /** x of now, when it is inside the window. */
  nowX: number | null;
}

export function layoutTimeline(input: TimelineInput): TimelineLayout {
  const t0 = input.start.getTime();
  const t1 = input.end.getTime();
  const scale = input.width / (t1 - t0);
  const x = (t: number) => (Math.min(Math.max(t, t0), t1) - t0) * scale;

  function bar(key: string, kind: BarKind, userId: number | null, start: string, end: string, replaces?: number | null): Bar | null {
    const s = Date.parse(start);
    const e = Date.parse(end);
    if (!(e > t0 && s < t1 && e > s)) return null;
    const left = x(s);
    return {
      key,
      kind,
      userId,
      replacesUserId: replaces ?? null,
      x: left,
      width: x(e) - left,
      start: new Date(Math.max(s, t0)),
      end: new Date(Math.min(e, t1)),
      clippedStart: s < t0,
      clippedEnd: e > t1,
    };
  }
  const present = (b: Bar | null): b is Bar => b !== null;

  const lanes: Lane[] = input.layers.map((layer) => ({
    id: `layer-${layer.index}`,
    label: layer.name || `Layer ${layer.index + 1}`,
    kind: "layer",
    bars: layer.shifts.map((s, i) => bar(`l${layer.index}-${i}`, "shift", s.user_id, s.start, s.end)).filter(present),
  }));
  lanes.push({
    id: "overrides",
    label: "Overrides",
    kind: "overrides",
    bars: input.overrides
      .map((o) => bar(`o${o.id}`, o.replaces_user_id === null ? "override" : "swap", o.user_id, o.start, o.end, o.replaces_user_id))
      .filter(present),
  });
  const final = [
    ...input.final.map((s, i) => bar(`f${i}`, s.layer === null ? "override" : "shift", s.user_id, s.start, s.end)),
    ...input.gaps.map((g, i) => bar(`g${i}`, "gap", null, g.start, g.end)),
  ]
    .filter(present)
    .sort((a, b) => a.x - b.x);
  lanes.push({ id: "final", label: "Final", kind: "final", bars: final });

  const ticks: Tick[] = [];
  const day = new Date(input.start);
  day.setHours(0, 0, 0, 0);
  if (day.getTime() < t0) day.setDate(day.getDate() + 1);
  while (day.getTime() <= t1) {
    ticks.push({ x: x(day.getTime()), date: new Date(day), major: day.getDay() === 1 });
    day.setDate(day.getDate() + 1);
  }
  const now = input.now?.getTime();
  return { lanes, ticks, nowX: now !== undefined && now >= t0 && now <= t1 ? x(now) : null };
}

/** Midnight today (local) and two weeks on: the window the timeline shows. */
export function twoWeeks(now: Date = new Date()): { start: Date; end: Date } {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(end.getDate() + 14);
  return { start, end };
}

/** A stable colour slot (1..8) per person, in the order they first appear. */
export function colourSlots(userIds: number[]): Map<number, number> {
  const slots = new Map<number, number>();
  for (const id of userIds) if (!slots.has(id)) slots.set(id, (slots.size % 8) + 1);
  return slots;
}
