import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatMs, formatPercent, formatRate } from "../../components/format";
import { keepTimeRange, timeRangeDurationMs } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { SendTraces } from "../overview/HowToSend";
import { errorLevel, nodeTraffic } from "./graphLayout";
import { ServiceGraph } from "./ServiceGraph";

type Edge = Schemas["EdgeStats"];

export const REFRESH_MS = 30_000;

/** /services: the dependency graph of the chosen range and the calls behind it. */
export function ServiceMap() {
  usePageTitle("Services");
  const time = useTimeRange();
  const navigate = useNavigate();
  const location = useLocation();
  const search = keepTimeRange(location.search);
  // One step for the whole range: only the totals are needed here.
  const step = Math.max(60, Math.ceil(timeRangeDurationMs(time.range) / 60_000) * 60);
  const graph = useQuery({
    queryKey: ["tracing", "dependencies", time.key],
    queryFn: ({ signal }) => call(api.GET("/api/tracing/dependencies", { params: { query: time.query() }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const stats = useQuery({
    queryKey: ["tracing", "statistics", "services", time.key, step],
    queryFn: ({ signal }) =>
      call(api.GET("/api/tracing/statistics", { params: { query: { ...time.query(), step } }, signal })),
    refetchInterval: REFRESH_MS,
  });

  const derived = useMemo(() => {
    if (!graph.data) return null;
    const served = new Map((stats.data?.services ?? []).map((s) => [s.service, s.count]));
    const errorRates = new Map((stats.data?.services ?? []).map((s) => [s.service, s.error_rate]));
    const traced = new Set(stats.data?.services.map((s) => s.service) ?? []);
    for (const e of graph.data.edges) if (e.traced) traced.add(e.caller).add(e.callee);
    for (const e of graph.data.edges) traced.add(e.caller);
    const untraced = new Set(graph.data.services.filter((s) => !traced.has(s)));
    const seconds = Math.max(1, (Date.parse(graph.data.end) - Date.parse(graph.data.start)) / 1000);
    return { traffic: nodeTraffic(graph.data.services, graph.data.edges, served), errorRates, untraced, seconds };
  }, [graph.data, stats.data]);

  let body;
  if (graph.isPending) body = <Loading label="Loading the service graph" />;
  else if (graph.isError)
    body = <ErrorBanner error={graph.error} what="the service graph" onRetry={() => graph.refetch()} />;
  else if (graph.data.services.length === 0 || !derived)
    body = (
      <EmptyState title="No services in this range">
        <p>Services appear here as soon as they send traces (the graph comes from parent and child spans).</p>
        <SendTraces />
      </EmptyState>
    );
  else
    body = (
      <>
        <ServiceGraph
          services={graph.data.services}
          edges={graph.data.edges}
          traffic={derived.traffic}
          errorRates={derived.errorRates}
          untraced={derived.untraced}
          seconds={derived.seconds}
          onOpen={(service) => navigate({ pathname: `/services/${encodeURIComponent(service)}`, search })}
        />
        {graph.data.edges.length === 0 && (
          <p className="muted">
            No calls between services yet: a call shows once a span's parent is in another service, or a client span
            names its callee (<code>peer.service</code> or <code>server.address</code>).
          </p>
        )}
      </>
    );

  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services</h1>
      {stats.isError && <ErrorBanner error={stats.error} what="service statistics" onRetry={() => stats.refetch()} />}
      <section className="panel" aria-labelledby="graph-title">
        <header className="panel-head">
          <h2 id="graph-title">Dependency graph</h2>
          {graph.data && graph.data.services.length > 0 && (
            <span className="muted">
              {graph.data.services.length} services · {graph.data.edges.length} calls · click a service to open it
            </span>
          )}
        </header>
        {body}
      </section>
      {graph.data && graph.data.edges.length > 0 && derived && (
        <CallsTable edges={graph.data.edges} seconds={derived.seconds} search={search} />
      )}
    </section>
  );
}

function CallsTable({ edges, seconds, search }: { edges: Edge[]; seconds: number; search: string }) {
  const sorted = [...edges].sort((a, b) => b.error_rate - a.error_rate || b.call_count - a.call_count);
  const link = (service: string) => (
    <Link to={{ pathname: `/services/${encodeURIComponent(service)}`, search }}>{service}</Link>
  );
  return (
    <section className="panel" aria-labelledby="calls-title">
      <header className="panel-head">
        <h2 id="calls-title">Calls</h2>
        <span className="muted small">most errors first</span>
      </header>
      <table className="data">
        <caption className="visually-hidden">Calls between services with rate, error rate and latency</caption>
        <thead>
          <tr>
            <th scope="col">Caller</th>
            <th scope="col">Callee</th>
            <th scope="col" className="num">Rate</th>
            <th scope="col" className="num">Error rate</th>
            <th scope="col" className="num">p50</th>
            <th scope="col" className="num">p95</th>
            <th scope="col" className="num">p99</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((e) => (
            <tr key={`${e.caller}->${e.callee}`}>
              <td>{link(e.caller)}</td>
              <td>
                {link(e.callee)}
                {!e.traced && <span className="muted small"> (not traced)</span>}
              </td>
              <td className="num">{formatRate(e.call_count / seconds)}</td>
              <td className={`num ${errorLevel(e.error_rate) === "ok" ? "" : errorLevel(e.error_rate)}`}>
                {formatPercent(e.error_rate, 2)}
              </td>
              <td className="num">{formatMs(e.p50_ms)}</td>
              <td className="num">{formatMs(e.p95_ms)}</td>
              <td className="num">{formatMs(e.p99_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
