import { useId } from "react";
import { colourSlots, layoutTimeline, type Bar, type TimelineInput } from "./timeline";

const LABEL_W = 130;
const PLOT_W = 1000;
const HEAD_H = 28;
const LANE_H = 30;
const GAP = 6;

const dayLabel = (d: Date) => d.toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
const when = (d: Date) => d.toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

export interface ScheduleTimelineProps extends Omit<TimelineInput, "width"> {
  title: string;
  userName: (id: number) => string;
  /** The logged-in user, outlined. */
  meId?: number | null;
}

function describe(bar: Bar, name: (id: number) => string): string {
  const span = `${when(bar.start)} – ${when(bar.end)}`;
  if (bar.kind === "gap") return `Gap: nobody on call, ${span}`;
  const who = name(bar.userId!);
  if (bar.kind === "swap") return `Swap: ${who} takes ${name(bar.replacesUserId!)}'s shifts, ${span}`;
  if (bar.kind === "override") return `Override: ${who}, ${span}`;
  return `${who}, ${span}`;
}

/** The next two weeks of a schedule: a lane per layer, overrides, and the final lane with gaps. */
export function ScheduleTimeline(props: ScheduleTimelineProps) {
  const { title, userName, meId } = props;
  const id = useId().replace(/:/g, "");
  const layout = layoutTimeline({ ...props, width: PLOT_W });
  const people = colourSlots([
    ...props.final.map((s) => s.user_id),
    ...props.layers.flatMap((l) => l.shifts.map((s) => s.user_id)),
    ...props.overrides.map((o) => o.user_id),
  ]);
  const height = HEAD_H + layout.lanes.length * (LANE_H + GAP);
  const finals = layout.lanes.find((l) => l.kind === "final")?.bars ?? [];
  const summary =
    `${title}, next two weeks: ${finals.filter((b) => b.kind !== "gap").length} final shifts, ` +
    `${props.overrides.length} overrides, ${finals.filter((b) => b.kind === "gap").length} gaps`;

  return (
    <figure className="timeline">
      <svg viewBox={`0 0 ${LABEL_W + PLOT_W} ${height}`} role="img" aria-label={summary}>
        <defs>
          <pattern id={`${id}-gap`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" className="gap-bg" />
            <line x1="0" y1="0" x2="0" y2="6" className="gap-line" />
          </pattern>
          <pattern id={`${id}-over`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
            <line x1="0" y1="0" x2="0" y2="6" className="override-line" />
          </pattern>
        </defs>
        {layout.ticks.map((t) => (
          <g key={t.date.toISOString()}>
            <line x1={LABEL_W + t.x} x2={LABEL_W + t.x} y1={HEAD_H - 6} y2={height} className={t.major ? "tick-line major" : "tick-line"} />
            {t.x < PLOT_W - 30 && (
              <text x={LABEL_W + t.x + 3} y={HEAD_H - 10} className="tick">
                {dayLabel(t.date)}
              </text>
            )}
          </g>
        ))}
        {layout.lanes.map((lane, i) => {
          const y = HEAD_H + i * (LANE_H + GAP);
          return (
            <g key={lane.id} className={`lane lane-${lane.kind}`} data-lane={lane.id}>
              <text x={0} y={y + LANE_H / 2 + 4} className="lane-label">
                {lane.label.length > 18 ? `${lane.label.slice(0, 17)}…` : lane.label}
              </text>
              <rect x={LABEL_W} y={y} width={PLOT_W} height={LANE_H} className="lane-bg" />
              {lane.bars.map((bar) => {
                const slot = bar.userId === null ? 0 : (people.get(bar.userId) ?? 1);
                const name = bar.userId === null ? "gap" : userName(bar.userId);
                const classes = [
                  "bar",
                  `bar-${bar.kind}`,
                  bar.kind === "gap" ? "" : `slot-${slot}`,
                  bar.userId !== null && bar.userId === meId ? "bar-me" : "",
                ].join(" ");
                return (
                  <g key={bar.key} data-kind={bar.kind}>
                    <title>{describe(bar, userName)}</title>
                    <rect
                      x={LABEL_W + bar.x}
                      y={y + 2}
                      width={Math.max(bar.width, 1)}
                      height={LANE_H - 4}
                      rx={3}
                      className={classes}
                      fill={bar.kind === "gap" ? `url(#${id}-gap)` : undefined}
                    />
                    {(bar.kind === "override" || bar.kind === "swap") && (
                      <rect x={LABEL_W + bar.x} y={y + 2} width={Math.max(bar.width, 1)} height={LANE_H - 4} rx={3} fill={`url(#${id}-over)`} className="override-mark" />
                    )}
                    {bar.width > 48 && (
                      <text x={LABEL_W + bar.x + 5} y={y + LANE_H / 2 + 4} className={bar.kind === "gap" ? "bar-text gap-text" : "bar-text"}>
                        {fit(bar.kind === "gap" ? "gap" : name.split(" ")[0] ?? name, bar.width)}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
          );
        })}
        {layout.nowX !== null && (
          <g className="now">
            <line x1={LABEL_W + layout.nowX} x2={LABEL_W + layout.nowX} y1={HEAD_H - 8} y2={height} />
            <text x={LABEL_W + layout.nowX + 3} y={height - 2} className="tick">
              now
            </text>
          </g>
        )}
      </svg>
      <figcaption className="chart-legend">
        {[...people].map(([userId, slot]) => (
          <span key={userId}>
            <i className={`slot-${slot}`} />
            {userName(userId)}
            {userId === meId && " (you)"}
          </span>
        ))}
        <span>
          <i className="legend-override" /> override or swap
        </span>
        <span>
          <i className="legend-gap" /> gap: nobody is paged
        </span>
      </figcaption>
    </figure>
  );
}

/** As many characters as fit in `width` SVG units (about 7 a character). */
function fit(text: string, width: number): string {
  const n = Math.floor((width - 8) / 7);
  return text.length <= n ? text : `${text.slice(0, Math.max(1, n - 1))}…`;
}
