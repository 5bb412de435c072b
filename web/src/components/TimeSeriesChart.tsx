import { useEffect, useRef, useState, type MouseEvent } from "react";
import { extent, linePath, linear, nearestIndex, niceTicks, timeTickLabel, type Series } from "./charts";

const PALETTE = ["var(--series-1)", "var(--series-2)", "var(--series-3)", "var(--series-4)", "var(--series-5)"];
const MARGIN = { top: 8, right: 12, bottom: 22, left: 52 };

export interface TimeSeriesChartProps {
  series: Series[];
  /** What the chart shows, for screen readers (e.g. "Requests per second, last hour"). */
  label: string;
  height?: number;
  /** Formats y values (axis and tooltip). */
  format?: (value: number) => string;
  /** Fixed time domain (epoch ms); default: the data's. */
  domain?: [number, number];
}

/**
 * A small hand-written SVG line chart: several series, time x axis, nice y ticks, a hover
 * crosshair with the values. Enough for RED charts; for thousands of points per series
 * prefer a canvas chart (uPlot).
 */
export function TimeSeriesChart({ series, label, height = 180, format = String, domain }: TimeSeriesChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  const [hover, setHover] = useState<number | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const data = extent(series);
  const [t0, t1] = domain ?? [data.t0, data.t1];
  const hasData = Number.isFinite(t0) && Number.isFinite(t1);
  const yTicks = niceTicks(0, data.vMax || 1);
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const x = linear([t0, t1], [MARGIN.left, width - MARGIN.right]);
  const y = linear([0, yMax], [height - MARGIN.bottom, MARGIN.top]);
  const xTicks = hasData ? niceTimeTicks(t0, t1, Math.max(2, Math.floor(width / 110))) : [];
  const first = series[0]?.points ?? [];

  const onMove = (event: MouseEvent<SVGSVGElement>) => {
    if (!first.length) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * width;
    const t = t0 + ((px - MARGIN.left) / (width - MARGIN.left - MARGIN.right)) * (t1 - t0);
    setHover(nearestIndex(first, t));
  };
  const hovered = hover !== null ? first[hover] : undefined;

  return (
    <figure className="chart" ref={box}>
      <svg
        width="100%"
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={label}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      >
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line className="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(v)} y2={y(v)} />
            <text className="tick" x={MARGIN.left - 6} y={y(v)} textAnchor="end" dominantBaseline="middle">
              {format(v)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} className="tick" x={x(t)} y={height - 6} textAnchor="middle">
            {timeTickLabel(t, t1 - t0)}
          </text>
        ))}
        {series.map((s, i) => (
          <path
            key={s.name}
            d={linePath(s.points, x, y)}
            fill="none"
            stroke={s.color ?? PALETTE[i % PALETTE.length]}
            strokeWidth={1.6}
          />
        ))}
        {hovered && <line className="crosshair" x1={x(hovered.t)} x2={x(hovered.t)} y1={MARGIN.top} y2={height - MARGIN.bottom} />}
      </svg>
      {hovered && hover !== null && (
        <figcaption className="chart-tooltip" aria-live="polite">
          <span>{new Date(hovered.t).toLocaleString()}</span>
          {series.map((s, i) => {
            const v = s.points[hover]?.v;
            return (
              <span key={s.name}>
                <i style={{ background: s.color ?? PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                {s.name}: {v === null || v === undefined ? "–" : format(v)}
              </span>
            );
          })}
        </figcaption>
      )}
      {series.length > 1 && !hovered && (
        <figcaption className="chart-legend">
          {series.map((s, i) => (
            <span key={s.name}>
              <i style={{ background: s.color ?? PALETTE[i % PALETTE.length] }} aria-hidden="true" />
              {s.name}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}

function niceTimeTicks(t0: number, t1: number, count: number): number[] {
  const steps = [60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3];
  const raw = (t1 - t0) / count;
  const step = steps.find((s) => s >= raw) ?? steps[steps.length - 1]!;
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks;
}

/** A tiny inline trend line (no axes), e.g. in a table cell. */
export function Sparkline({
  points,
  label,
  width = 96,
  height = 24,
  domain,
}: {
  points: { t: number; v: number | null }[];
  label: string;
  width?: number;
  height?: number;
  /** The time range shown (epoch ms); default: the data's. */
  domain?: [number, number];
}) {
  const data = extent([{ name: label, points }]);
  const x = linear(domain ?? [data.t0, data.t1], [1, width - 1]);
  const y = linear([0, data.vMax || 1], [height - 2, 2]);
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <path d={linePath(points, x, y)} fill="none" stroke="var(--series-1)" strokeWidth={1.4} />
    </svg>
  );
}
