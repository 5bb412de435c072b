import { useEffect, useRef, useState } from "react";
import type { Schemas } from "../../api/client";
import { timeTickLabel } from "../../components/charts";
import { formatMs } from "../../components/format";
import { dotRadius, durationScale, timeScale } from "./scatter";

type Hit = Schemas["TraceSummaryOut"];

const MARGIN = { top: 10, right: 14, bottom: 24, left: 58 };

/**
 * Duration over time of the search hits (SVG): one dot per trace, red when it has errors,
 * larger with more spans. Clicking a dot opens the trace. The table below lists the same
 * traces for the keyboard and screen readers.
 */
export function DurationScatter({
  hits,
  domain,
  onOpen,
  height = 190,
}: {
  hits: readonly Hit[];
  /** The searched range, epoch ms. */
  domain: [number, number];
  onOpen: (traceId: string) => void;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<Hit | null>(null);
  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(240, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const x = timeScale(domain, [MARGIN.left, width - MARGIN.right]);
  const y = durationScale(
    hits.map((h) => h.duration_ms),
    [height - MARGIN.bottom, MARGIN.top],
  );
  const span = domain[1] - domain[0];
  const xTicks = Array.from({ length: 6 }, (_, i) => domain[0] + (span * i) / 5);
  // Errors drawn last, so they are on top.
  const ordered = [...hits].sort((a, b) => Number(a.error_count > 0) - Number(b.error_count > 0));

  return (
    <figure className="chart tr-scatter" ref={box}>
      <svg
        width="100%"
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Duration over time of ${hits.length} traces${y.log ? " (log scale)" : ""}`}
      >
        {y.ticks.map((v) => (
          <g key={`y${v}`}>
            <line className="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(v)} y2={y(v)} />
            <text className="tick" x={MARGIN.left - 6} y={y(v)} textAnchor="end" dominantBaseline="middle">
              {v === 0 ? "0" : formatMs(v)}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text key={`x${i}`} className="tick" x={x(t)} y={height - 6} textAnchor={i === 0 ? "start" : i === 5 ? "end" : "middle"}>
            {timeTickLabel(t, span)}
          </text>
        ))}
        {ordered.map((hit) => {
          const t = Date.parse(hit.start_time);
          return (
            <circle
              key={hit.trace_id}
              data-trace-id={hit.trace_id}
              className={`tr-dot${hit.error_count > 0 ? " error" : ""}${hover?.trace_id === hit.trace_id ? " hover" : ""}`}
              cx={x(t)}
              cy={y(hit.duration_ms)}
              r={dotRadius(hit.span_count)}
              onClick={() => onOpen(hit.trace_id)}
              onMouseEnter={() => setHover(hit)}
              onMouseLeave={() => setHover(null)}
            >
              <title>{`${hit.root_service}: ${hit.root_operation} · ${formatMs(hit.duration_ms)} · ${hit.span_count} spans`}</title>
            </circle>
          );
        })}
      </svg>
      <figcaption className="chart-tooltip" aria-live="polite">
        {hover ? (
          <>
            <span>{new Date(hover.start_time).toLocaleTimeString()}</span>
            <span>
              {hover.root_service}: {hover.root_operation}
            </span>
            <span>{formatMs(hover.duration_ms)}</span>
            <span>{hover.span_count} spans</span>
            {hover.error_count > 0 && <span className="bad">{hover.error_count} errors</span>}
          </>
        ) : (
          <span>Click a dot to open its trace{y.log ? " · durations on a log scale" : ""}</span>
        )}
      </figcaption>
    </figure>
  );
}
