import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router";
import { ApiError, api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { formatMs } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { serviceColors } from "./colors";
import { ServiceChips } from "./ServiceChips";
import { SpanDetails } from "./SpanDetails";
import { Waterfall, type SpanNode } from "./Waterfall";
import { ancestorsOf, criticalSegments, flatten, matchingRows, parentsBelow, visibleRows } from "./waterfall";

/** Kept in the URL: ?span=<selected>&collapsed=<id>,<id>&find=<text>&critical=off */
function useViewState() {
  const [params, setParams] = useSearchParams();
  const selected = params.get("span");
  const collapsedText = params.get("collapsed") ?? "";
  const collapsed = useMemo(() => new Set(collapsedText.split(",").filter(Boolean)), [collapsedText]);
  const update = useCallback(
    (change: (next: URLSearchParams) => void) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          change(next);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return {
    params,
    selected,
    collapsed,
    find: params.get("find") ?? "",
    critical: params.get("critical") !== "off",
    zoom: params.get("zoom"),
    update,
  };
}

function setCollapsed(next: URLSearchParams, ids: Iterable<string>) {
  const list = [...ids];
  if (list.length) next.set("collapsed", list.join(","));
  else next.delete("collapsed");
}

function useWaterfallHeight(): number {
  const compute = () => Math.max(320, (globalThis.innerHeight || 900) - 300);
  const [height, setHeight] = useState(compute);
  useEffect(() => {
    const onResize = () => setHeight(compute());
    globalThis.addEventListener?.("resize", onResize);
    return () => globalThis.removeEventListener?.("resize", onResize);
  }, []);
  return height;
}

/** /traces/<id>: the trace's waterfall with the critical path, and the selected span's details. */
export function TraceView() {
  const { traceId = "" } = useParams();
  usePageTitle(`Trace ${traceId.slice(0, 8)}`);
  const location = useLocation();
  const view = useViewState();
  const findId = useId();
  const height = useWaterfallHeight();
  const trace = useQuery({
    queryKey: ["tracing", "trace", traceId],
    queryFn: ({ signal }) => call(api.GET("/api/tracing/traces/{trace_id}", { params: { path: { trace_id: traceId } }, signal })),
    retry: false,
  });
  const logs = useQuery({
    queryKey: ["logs", "trace", traceId],
    queryFn: async ({ signal }) => {
      try {
        return await call(api.GET("/api/logs/trace/{trace_id}", { params: { path: { trace_id: traceId } }, signal }));
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null; // no lines
        throw error;
      }
    },
    enabled: trace.isSuccess,
    retry: false,
  });

  const data = trace.data;
  const model = useMemo(() => {
    if (!data) return null;
    const rows = flatten<SpanNode>(data.roots, data.start_ns);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return { rows, byId, critical: criticalSegments(data.roots), colours: serviceColors(Object.keys(data.services)) };
  }, [data]);

  // A selected span is always shown: its collapsed ancestors open.
  const collapsed = useMemo(() => {
    if (!model || !view.selected || !model.byId.has(view.selected)) return view.collapsed;
    const open = new Set(ancestorsOf(model.rows, view.selected));
    return new Set([...view.collapsed].filter((id) => !open.has(id)));
  }, [model, view.collapsed, view.selected]);
  const visible = useMemo(() => (model ? visibleRows(model.rows, collapsed) : []), [model, collapsed]);
  const matches = useMemo(() => (model ? matchingRows(model.rows, view.find) : new Set<string>()), [model, view.find]);
  const spanLogs = useMemo(
    () => (view.selected ? logs.data?.items.filter((l) => l.span_id === view.selected) : undefined),
    [logs.data, view.selected],
  );

  const onSelect = useCallback((id: string) => view.update((next) => next.set("span", id)), [view]);
  const onToggle = useCallback(
    (id: string) =>
      view.update((next) => {
        const ids = new Set(collapsed);
        if (ids.has(id)) ids.delete(id);
        else ids.add(id);
        setCollapsed(next, ids);
      }),
    [view, collapsed],
  );

  if (trace.isPending) return <Loading label="Loading the trace" />;
  if (trace.isError) {
    const missing = trace.error instanceof ApiError && trace.error.status === 404;
    return (
      <section aria-labelledby="trace-title">
        <Breadcrumb search={keepTimeRange(location.search)} />
        <h1 id="trace-title">Trace {traceId}</h1>
        {missing ? (
          <EmptyState title="No such trace">
            <p>
              No span of trace <code>{traceId}</code> is stored: it may be older than the retention
              (<code>SENTINEL_TRACES_RETENTION</code>, 7 days by default), or its spans have not arrived yet.
            </p>
          </EmptyState>
        ) : (
          <ErrorBanner error={trace.error} what="the trace" onRetry={() => trace.refetch()} />
        )}
      </section>
    );
  }
  if (!model) return null;

  const t = trace.data;
  const totalMs = t.duration_ns / 1e6;
  const selectedSpan = view.selected ? model.byId.get(view.selected)?.span : undefined;
  // ?zoom=<span id>: the timeline shows that span's time only.
  const zoomed = view.zoom ? model.byId.get(view.zoom) : undefined;
  const timeWindow: [number, number] =
    zoomed && zoomed.durationMs > 0 ? [zoomed.offsetMs, zoomed.offsetMs + zoomed.durationMs] : [0, totalMs];
  const from = new Date(Date.parse(t.start_time) - 5 * 60_000).toISOString();
  const to = new Date(Date.parse(t.start_time) + totalMs + 5 * 60_000).toISOString();
  const logsLink = `/logs?${new URLSearchParams({ trace_id: t.trace_id, from, to }).toString()}`;
  const criticalMs = (t.critical_path.length ? model.rows.filter((r) => r.span.on_critical_path) : []).reduce(
    (sum, r) => sum + r.span.critical_path_ns / 1e6,
    0,
  );
  const findMatches = view.find ? matches.size : null;
  const nextMatch = () => {
    const current = view.selected ? model.rows.findIndex((r) => r.id === view.selected) : -1;
    const found = model.rows.filter((r) => matches.has(r.id));
    const target = found.find((r) => model.rows.indexOf(r) > current) ?? found[0];
    if (target) onSelect(target.id);
  };
  const back = (location.state as { search?: string } | null)?.search ?? keepTimeRange(location.search);

  return (
    <section aria-labelledby="trace-title" className="tv">
      <Breadcrumb search={back} />
      <header className="tv-head">
        <h1 id="trace-title">
          {t.root_service}: {t.root_operation}
        </h1>
        <Link className="svc-button tr-logs-link" to={logsLink}>
          Logs of this trace{logs.data ? ` (${logs.data.count})` : ""}
        </Link>
      </header>
      <p className="tv-summary">
        <span>
          Trace <code>{t.trace_id}</code>
        </span>
        <span>{new Date(t.start_time).toLocaleString()}</span>
        <span>
          <strong>{formatMs(t.duration_ms)}</strong>
        </span>
        <span>{t.span_count.toLocaleString()} spans</span>
        <span className={t.error_count ? "bad" : "muted"}>{t.error_count} errors</span>
        <span>critical path {formatMs(criticalMs)}</span>
        <ServiceChips services={t.services} max={8} />
      </p>
      {!t.complete && (
        <p className="notice">The root span has not arrived (yet): the trace may be incomplete.</p>
      )}
      <div className="tv-tools">
        <label htmlFor={findId}>Find span</label>
        <input
          id={findId}
          type="search"
          value={view.find}
          placeholder="operation, service or span id"
          onChange={(e) => view.update((next) => (e.target.value ? next.set("find", e.target.value) : next.delete("find")))}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              nextMatch();
            }
          }}
        />
        {findMatches !== null && <span className="muted small" aria-live="polite">{findMatches} match{findMatches === 1 ? "" : "es"}</span>}
        <button type="button" onClick={() => view.update((next) => next.delete("collapsed"))}>
          Expand all
        </button>
        <button type="button" onClick={() => view.update((next) => setCollapsed(next, parentsBelow(model.rows, 1)))}>
          Collapse all
        </button>
        {zoomed && (
          <button type="button" onClick={() => view.update((next) => next.delete("zoom"))}>
            Reset zoom ({zoomed.span.operation})
          </button>
        )}
        <label className="tv-check">
          <input
            type="checkbox"
            checked={view.critical}
            onChange={(e) => view.update((next) => (e.target.checked ? next.delete("critical") : next.set("critical", "off")))}
          />
          Highlight the critical path
        </label>
      </div>
      <div className={`tv-main${selectedSpan ? " with-details" : ""}`}>
        <Waterfall
          rows={visible}
          view={timeWindow}
          traceStartNs={t.start_ns}
          selected={view.selected}
          collapsed={collapsed}
          critical={view.critical ? model.critical : EMPTY}
          matches={matches}
          onSelect={onSelect}
          onToggle={onToggle}
          colours={model.colours}
          height={height}
        />
        {selectedSpan ? (
          <SpanDetails
            span={selectedSpan}
            colour={model.colours.get(selectedSpan.service) ?? "var(--accent)"}
            traceStartNs={t.start_ns}
            onSelect={onSelect}
            logs={spanLogs}
            logsLink={logsLink}
            zoomed={view.zoom === selectedSpan.span_id}
            onZoom={(zoom) => view.update((next) => (zoom ? next.set("zoom", selectedSpan.span_id) : next.delete("zoom")))}
            onClose={() => view.update((next) => next.delete("span"))}
          />
        ) : null}
      </div>
      {!selectedSpan && <p className="muted small">Select a span to see its attributes, events, errors and logs.</p>}
    </section>
  );
}

const EMPTY = new Map<string, [number, number][]>();

function Breadcrumb({ search }: { search: string }) {
  return (
    <nav aria-label="Breadcrumb" className="svc-breadcrumb">
      <Link to={{ pathname: "/traces", search }}>Traces</Link> /
    </nav>
  );
}
