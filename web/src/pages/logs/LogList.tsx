import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import type { Schemas } from "../../api/client";
import { keepTimeRange } from "../../components/timeRange";
import { levelClass } from "./levels";
import { logsSearch } from "./useLogsParams";

export type LogHit = Schemas["LogHit"];

const ROW_HEIGHT = 30;

export interface LogListProps {
  hits: readonly LogHit[];
  label: string;
  /** Height of the scrolling list in px. */
  height?: number;
  hasMore?: boolean;
  loadingMore?: boolean;
  onLoadMore?: () => void;
}

function timestamp(hit: LogHit): string {
  const date = new Date(hit.timestamp);
  const ms = String(date.getMilliseconds()).padStart(3, "0");
  return `${date.toLocaleDateString(undefined, { month: "short", day: "2-digit" })} ${date.toLocaleTimeString(undefined, { hour12: false })}.${ms}`;
}

/**
 * Log lines, newest first, virtualised (only the visible rows are in the DOM; rows grow
 * when opened). Level colours, time, service and message on one line; opening a line
 * shows its attributes, resource and ids. A line with a trace links to /traces/<id>.
 */
export function LogList({ hits, label, height = 520, hasMore, loadingMore, onLoadMore }: LogListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const virtualizer = useVirtualizer({
    count: hits.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => (open.has(hits[index]?.id ?? -1) ? 200 : ROW_HEIGHT),
    getItemKey: (index) => hits[index]?.id ?? index,
    overscan: 12,
    initialRect: { width: 1000, height },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (hasMore && !loadingMore && onLoadMore && hits.length > 0 && lastIndex >= hits.length - 20) onLoadMore();
  }, [hasMore, loadingMore, onLoadMore, lastIndex, hits.length]);

  const toggle = (id: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="log-list">
      <div ref={scroller} className="log-scroll" style={{ height: Math.min(height, Math.max(hits.length * ROW_HEIGHT, ROW_HEIGHT * 3)) }}>
        <div role="list" aria-label={label} style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const hit = hits[item.index]!;
            return (
              <div
                key={item.key}
                role="listitem"
                data-index={item.index}
                ref={virtualizer.measureElement}
                className={`log-row ${levelClass(hit.level)}`}
                style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
              >
                <LogLine hit={hit} open={open.has(hit.id)} onToggle={() => toggle(hit.id)} />
              </div>
            );
          })}
        </div>
      </div>
      {hasMore && onLoadMore && (
        <button type="button" className="load-more" onClick={onLoadMore} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "Load older lines"}
        </button>
      )}
    </div>
  );
}

function LogLine({ hit, open, onToggle }: { hit: LogHit; open: boolean; onToggle: () => void }) {
  const location = useLocation();
  const time = keepTimeRange(location.search);
  return (
    <>
      <div className="log-line">
        <button
          type="button"
          className="log-toggle"
          aria-expanded={open}
          aria-label={open ? "Hide details" : "Show details"}
          onClick={onToggle}
        >
          {open ? "▾" : "▸"}
        </button>
        <time dateTime={hit.timestamp} className="log-time">
          {timestamp(hit)}
        </time>
        <span className={`log-level ${levelClass(hit.level)}`}>{hit.level}</span>
        <span className="log-service">{hit.service_name}</span>
        <span className="log-message" title={hit.message}>
          {hit.message}
        </span>
        {hit.trace_id && (
          <Link className="log-trace" to={{ pathname: `/traces/${hit.trace_id}`, search: time }} aria-label={`Trace ${hit.trace_id}`}>
            trace {hit.trace_id.slice(0, 8)}
          </Link>
        )}
      </div>
      {open && (
        <div className="log-details">
          <pre className="log-body">{hit.message}</pre>
          <dl>
            <dt>time</dt>
            <dd>
              {hit.timestamp} <span className="muted">({hit.time_ns} ns)</span>
            </dd>
            <dt>severity</dt>
            <dd>
              {hit.level} ({hit.severity_number})
            </dd>
            {hit.trace_id && (
              <>
                <dt>trace_id</dt>
                <dd>
                  <Link to={{ pathname: `/traces/${hit.trace_id}`, search: time }}>{hit.trace_id}</Link>{" "}
                  <Link to={{ pathname: "/logs", search: logsSearch(time, { traceId: hit.trace_id }) }}>logs of this trace</Link>
                </dd>
              </>
            )}
            {hit.span_id && (
              <>
                <dt>span_id</dt>
                <dd>{hit.span_id}</dd>
              </>
            )}
            {hit.pattern_id !== null && hit.pattern_id !== undefined && (
              <>
                <dt>pattern</dt>
                <dd>
                  <Link to={{ pathname: "/logs", search: logsSearch(time, { q: `pattern:${hit.pattern_id}`, mode: "language" }) }}>
                    lines like this (pattern {hit.pattern_id})
                  </Link>
                </dd>
              </>
            )}
            {Object.entries(hit.attributes ?? {}).map(([key, value]) => (
              <Attribute key={`a.${key}`} name={key} value={value} />
            ))}
            {Object.entries(hit.resource ?? {}).map(([key, value]) => (
              <Attribute key={`r.${key}`} name={key} value={value} resource />
            ))}
          </dl>
        </div>
      )}
    </>
  );
}

function Attribute({ name, value, resource }: { name: string; value: unknown; resource?: boolean }) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return (
    <>
      <dt>
        {name}
        {resource && <span className="muted small"> (resource)</span>}
      </dt>
      <dd>{text}</dd>
    </>
  );
}
