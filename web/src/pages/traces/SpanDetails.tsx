import { Link, useLocation } from "react-router";
import type { Schemas } from "../../api/client";
import { formatMs } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import type { SpanNode } from "./Waterfall";

type LogHit = Schemas["LogHit"];

/** A value as text: strings as they are, everything else as JSON. */
export function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}

/** The attribute filter that finds traces with this key and value (strings, numbers, booleans). */
function attributeFilter(key: string, value: unknown): string | null {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return `${key}=${String(value)}`;
  return null;
}

function Attributes({ title, values, search }: { title: string; values: Record<string, unknown>; search?: (filter: string) => string }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return null;
  return (
    <section className="sd-section" aria-label={title}>
      <h3>{title}</h3>
      <table className="sd-attrs">
        <tbody>
          {entries.map(([key, value]) => {
            const filter = search ? attributeFilter(key, value) : null;
            return (
              <tr key={key}>
                <th scope="row">{key}</th>
                <td>
                  <span className="sd-value">{show(value)}</span>
                  {filter && search && (
                    <Link className="sd-filter" to={search(filter)} title={`Search traces with ${filter}`} aria-label={`Search traces with ${filter}`}>
                      ⌕
                    </Link>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export interface SpanDetailsProps {
  span: SpanNode;
  colour: string;
  traceStartNs: number;
  onSelect: (spanId: string) => void;
  /** The trace's log lines of this span (undefined while loading or when there are none). */
  logs: readonly LogHit[] | undefined;
  logsLink: string;
  onClose: () => void;
  /** Whether the timeline is zoomed to this span; onZoom(true) zooms to it, (false) back out. */
  zoomed: boolean;
  onZoom: (zoom: boolean) => void;
}

/** The selected span: timing, status and error, attributes, events, links, resource, its logs. */
export function SpanDetails({ span, colour, traceStartNs, onSelect, logs, logsLink, onClose, zoomed, onZoom }: SpanDetailsProps) {
  const location = useLocation();
  const keep = keepTimeRange(location.search);
  const tracesWith = (filter: string) => {
    const params = new URLSearchParams(keep);
    params.set("attr", filter);
    return `/traces?${params.toString()}`;
  };
  const offsetMs = (span.start_ns - traceStartNs) / 1e6;
  const exceptions = span.events.filter((e) => e.name === "exception");
  return (
    <aside className="sd panel" aria-labelledby="sd-title">
      <header className="sd-head">
        <h2 id="sd-title">
          <i className="wf-svc" style={{ background: colour }} aria-hidden="true" />
          {span.operation}
        </h2>
        <button type="button" className="icon-button" aria-label="Close span details" onClick={onClose}>
          ×
        </button>
      </header>
      <p className="sd-sub">
        <strong>{span.service}</strong> · {span.kind} · {formatMs(span.duration_ms)}
        {span.error ? (
          <span className="badge status-firing"> error</span>
        ) : (
          <span className="badge"> {span.status}</span>
        )}
      </p>
      {span.error && (
        <div className="sd-error" role="note">
          <strong>Status: error</strong>
          {span.status_message && <p>{span.status_message}</p>}
          {exceptions.map((e, i) => (
            <div key={i}>
              <p>
                {show(e.attributes["exception.type"])}
                {e.attributes["exception.message"] ? `: ${show(e.attributes["exception.message"])}` : ""}
              </p>
              {typeof e.attributes["exception.stacktrace"] === "string" && (
                <pre className="sd-stack">{e.attributes["exception.stacktrace"]}</pre>
              )}
            </div>
          ))}
        </div>
      )}
      {span.children.length > 0 && (
        <button type="button" className="sd-zoom" onClick={() => onZoom(!zoomed)}>
          {zoomed ? "Show the whole trace" : "Zoom the timeline to this span"}
        </button>
      )}
      <dl className="sd-facts">
        <dt>Duration</dt>
        <dd>{formatMs(span.duration_ms)}</dd>
        <dt>Starts at</dt>
        <dd>
          +{formatMs(offsetMs)} <span className="muted small">({new Date(span.start_time).toLocaleTimeString()})</span>
        </dd>
        <dt>Self time</dt>
        <dd>{formatMs(span.self_time_ms)}</dd>
        {span.on_critical_path && (
          <>
            <dt>Critical path</dt>
            <dd>{formatMs(span.critical_path_ns / 1e6)} of it</dd>
          </>
        )}
        {span.http_method && (
          <>
            <dt>HTTP</dt>
            <dd>
              {span.http_method} {span.http_route ?? ""} {span.http_status_code ?? ""}
            </dd>
          </>
        )}
        {span.db_system && (
          <>
            <dt>Database</dt>
            <dd>{span.db_system}</dd>
          </>
        )}
        {span.peer_service && (
          <>
            <dt>Calls</dt>
            <dd>{span.peer_service}</dd>
          </>
        )}
        <dt>Span ID</dt>
        <dd>
          <code>{span.span_id}</code>
        </dd>
        {span.parent_span_id && (
          <>
            <dt>Parent</dt>
            <dd>
              <button type="button" className="tr-link-button" onClick={() => onSelect(span.parent_span_id!)}>
                <code>{span.parent_span_id}</code>
              </button>
            </dd>
          </>
        )}
      </dl>
      <Attributes title="Attributes" values={span.attributes} search={tracesWith} />
      {span.events.length > 0 && (
        <section className="sd-section" aria-label="Events">
          <h3>Events</h3>
          <ol className="sd-events">
            {span.events.map((e, i) => (
              <li key={i} className={e.name === "exception" ? "bad-event" : undefined}>
                <span className="muted small">+{formatMs((e.time_ns - span.start_ns) / 1e6)}</span> <strong>{e.name}</strong>
                {Object.keys(e.attributes).length > 0 && (
                  <ul className="sd-event-attrs">
                    {Object.entries(e.attributes)
                      .filter(([k]) => k !== "exception.stacktrace")
                      .map(([k, v]) => (
                        <li key={k}>
                          <code>{k}</code> = {show(v)}
                        </li>
                      ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}
      {span.links.length > 0 && (
        <section className="sd-section" aria-label="Links">
          <h3>Links</h3>
          <ul className="sd-links">
            {span.links.map((l) => (
              <li key={`${l.trace_id}-${l.span_id}`}>
                <Link to={{ pathname: `/traces/${l.trace_id}`, search: `?span=${l.span_id}` }}>
                  <code>{l.trace_id.slice(0, 16)}…</code> / <code>{l.span_id}</code>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="sd-section" aria-label="Logs of this span">
        <h3>Logs of this span</h3>
        {logs === undefined || logs.length === 0 ? (
          <p className="muted small">No log lines carry this span's id.</p>
        ) : (
          <ol className="sd-logs">
            {logs.slice(0, 50).map((l) => (
              <li key={l.id}>
                <span className={`sd-level level-${l.level.toLowerCase()}`}>{l.level}</span>{" "}
                <span className="muted small">+{formatMs((l.time_ns - traceStartNs) / 1e6)}</span> {l.message}
              </li>
            ))}
          </ol>
        )}
        <Link to={logsLink}>Open the trace's logs</Link>
      </section>
      <Attributes title="Resource" values={span.resource} search={tracesWith} />
      {(span.scope.name || span.scope.version) && (
        <p className="muted small">
          Instrumentation scope: {span.scope.name} {span.scope.version}
        </p>
      )}
    </aside>
  );
}
