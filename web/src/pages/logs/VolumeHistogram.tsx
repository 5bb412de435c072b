import { useEffect, useRef, useState } from "react";
import { niceTicks, timeTickLabel } from "../../components/charts";
import { levelsPresent, type Bucket } from "./histogram";
import { LEVELS, levelColor } from "./levels";

const MARGIN = { top: 6, right: 8, bottom: 20, left: 40 };

export interface VolumeHistogramProps {
  buckets: Bucket[];
  label: string;
  height?: number;
  /** Click on a bar: zoom the time range to it. */
  onSelect?: (bucket: Bucket) => void;
}

function timeTicks(t0: number, t1: number, count: number): number[] {
  const steps = [60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];
  const raw = (t1 - t0) / count;
  const step = steps.find((s) => s >= raw) ?? 86400e3;
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks;
}

/** Lines per bucket over the time range, stacked by level (SVG). */
export function VolumeHistogram({ buckets, label, height = 110, onSelect }: VolumeHistogramProps) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(240, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return null;
  const t0 = first.t;
  const t1 = last.end;
  // Counts are whole: at least 0..4 so small counts get whole ticks.
  const max = Math.max(4, ...buckets.map((b) => b.total));
  const yTicks = niceTicks(0, max);
  const yMax = yTicks[yTicks.length - 1] ?? max;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x = (t: number) => MARGIN.left + ((t - t0) / (t1 - t0 || 1)) * plotW;
  const y = (v: number) => MARGIN.top + plotH - (v / yMax) * plotH;
  const order = [...LEVELS] as string[];
  const present = levelsPresent(buckets);
  const total = buckets.reduce((n, b) => n + b.total, 0);

  return (
    <figure className="chart histogram" ref={box}>
      <svg width="100%" height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${label}: ${total} lines`}>
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line className="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(v)} y2={y(v)} />
            <text className="tick" x={MARGIN.left - 5} y={y(v)} textAnchor="end" dominantBaseline="middle">
              {v >= 1000 ? `${v / 1000}k` : v}
            </text>
          </g>
        ))}
        {timeTicks(t0, t1, Math.max(2, Math.floor(width / 110))).map((t) => (
          <text key={`x${t}`} className="tick" x={x(t)} y={height - 5} textAnchor="middle">
            {timeTickLabel(t, t1 - t0)}
          </text>
        ))}
        {buckets.map((b) => {
          const left = x(b.t) + 0.5;
          const w = Math.max(1, x(b.end) - x(b.t) - 1);
          let stacked = 0;
          const counts = order.filter((l) => (b.levels[l] ?? 0) > 0).map((l) => [l, b.levels[l] ?? 0] as const);
          const title =
            `${new Date(b.t).toLocaleString()}: ${b.total} lines` +
            (counts.length ? ` (${counts.map(([l, n]) => `${n} ${l.toLowerCase()}`).join(", ")})` : "");
          return (
            <g
              key={b.t}
              className={onSelect && b.total > 0 ? "bar clickable" : "bar"}
              data-total={b.total}
              onClick={onSelect && b.total > 0 ? () => onSelect(b) : undefined}
            >
              <title>{title}</title>
              <rect x={left} y={MARGIN.top} width={w} height={plotH} fill="transparent" />
              {counts.map(([level, n]) => {
                const top = y(stacked + n);
                const bottom = y(stacked);
                stacked += n;
                return <rect key={level} x={left} y={top} width={w} height={Math.max(0, bottom - top)} fill={levelColor(level)} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        {present.map((level) => (
          <span key={level}>
            <i style={{ background: levelColor(level) }} aria-hidden="true" />
            {level.toLowerCase()}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
