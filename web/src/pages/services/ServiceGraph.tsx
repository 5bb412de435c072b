import { useMemo, type KeyboardEvent } from "react";
import { formatMs, formatPercent, formatRate } from "../../components/format";
import { layoutGraph, type GraphEdge } from "./graphLayout";

export interface ServiceGraphProps {
  services: readonly string[];
  edges: readonly GraphEdge[];
  /** Requests (or calls) per node over the range. */
  traffic: ReadonlyMap<string, number>;
  /** Error rate of the requests each traced service served (outlines a failing node). */
  errorRates?: ReadonlyMap<string, number>;
  /** Seconds in the range, for rates. */
  seconds: number;
  /** Nodes that are not instrumented (seen only through their callers' client spans). */
  untraced?: ReadonlySet<string>;
  onOpen: (service: string) => void;
}

/**
 * The dependency graph in SVG: a node per service (area ~ traffic), an arrow per caller →
 * callee (colour: error rate; width: calls). Nodes are links (click, Enter or Space).
 */
export function ServiceGraph({ services, edges, traffic, errorRates, seconds, untraced, onOpen }: ServiceGraphProps) {
  const layout = useMemo(() => layoutGraph(services, edges, traffic), [services, edges, traffic]);
  const onKey = (event: KeyboardEvent, id: string) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onOpen(id);
    }
  };
  return (
    <figure className="service-graph">
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width="100%"
        style={{ maxWidth: layout.width * 1.3 }}
        role="group"
        aria-label={`Service dependency graph: ${services.length} services, ${edges.length} calls`}
      >
        <defs>
          {(["ok", "warn", "bad"] as const).map((level) => (
            <marker
              key={level}
              id={`arrow-${level}`}
              viewBox="0 0 10 10"
              refX="8"
              refY="5"
              markerWidth="9"
              markerHeight="9"
              markerUnits="userSpaceOnUse"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" className={`arrow arrow-${level}`} />
            </marker>
          ))}
        </defs>
        {layout.edges.map(({ edge, path, level, width, mid }) => (
          <g key={`${edge.caller}->${edge.callee}`} className={`graph-edge edge-${level}${edge.traced ? "" : " untraced"}`}>
            <title>
              {`${edge.caller} → ${edge.callee}: ${formatRate(edge.call_count / seconds)}, ` +
                `${formatPercent(edge.error_rate, 2)} errors, p95 ${formatMs(edge.p95_ms)}` +
                (edge.traced ? "" : " (seen from the caller's client spans)")}
            </title>
            <path d={path} strokeWidth={width} markerEnd={`url(#arrow-${level})`} fill="none" />
            {level !== "ok" && (
              <text x={mid.x} y={mid.y - 4} textAnchor="middle" className="edge-label">
                {formatPercent(edge.error_rate, 1)}
              </text>
            )}
          </g>
        ))}
        {layout.nodes.map((node) => {
          const rate = errorRates?.get(node.id) ?? 0;
          const status = rate >= 0.05 ? " node-bad" : rate >= 0.01 ? " node-warn" : "";
          const plain = untraced?.has(node.id) ? " node-untraced" : "";
          return (
            <g
              key={node.id}
              className={`graph-node${status}${plain}`}
              role="link"
              tabIndex={0}
              aria-label={`${node.id}: ${formatRate(node.traffic / seconds)}${rate ? `, ${formatPercent(rate, 1)} errors` : ""}`}
              onClick={() => onOpen(node.id)}
              onKeyDown={(event) => onKey(event, node.id)}
              data-service={node.id}
            >
              <title>{`${node.id}: ${formatRate(node.traffic / seconds)}${untraced?.has(node.id) ? " (not traced)" : ""}`}</title>
              <circle cx={node.x} cy={node.y} r={node.r} />
              <text x={node.x} y={node.y + node.r + 16} textAnchor="middle" className="node-label">
                {node.id}
              </text>
              <text x={node.x} y={node.y + node.r + 30} textAnchor="middle" className="node-rate">
                {formatRate(node.traffic / seconds)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="graph-legend muted small">
        <span>Circle area: requests in the range</span>
        <span>
          <i className="swatch edge-ok" aria-hidden="true" /> errors under 1%
        </span>
        <span>
          <i className="swatch edge-warn" aria-hidden="true" /> 1–5%
        </span>
        <span>
          <i className="swatch edge-bad" aria-hidden="true" /> 5% and more
        </span>
        <span>Dashed: not instrumented (seen from client spans)</span>
      </figcaption>
    </figure>
  );
}
