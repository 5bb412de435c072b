import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useLocation, useParams } from "react-router";
import { ApiError, api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { TimeSeriesChart } from "../../components/TimeSeriesChart";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatMs, formatPercent, formatRate } from "../../components/format";
import { keepTimeRange, stepSeconds } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { SendTraces } from "../overview/HowToSend";
import { errorLevel } from "./graphLayout";
import { redSeries } from "./series";
import { REFRESH_MS } from "./ServiceMap";

type Operation = Schemas["OperationStatistics"];
type Edge = Schemas["EdgeStats"];

/** /services/<name>: RED charts (rate, errors, duration) over the range, its operations
 * and the services it calls and is called by. */
export function ServicePage() {
  const { service = "" } = useParams();
  usePageTitle(service);
  const time = useTimeRange();
  const location = useLocation();
  const search = keepTimeRange(location.search);
  const step = stepSeconds(time.range);
  const stats = useQuery({
    queryKey: ["tracing", "statistics", "service", service, time.key, step],
    queryFn: ({ signal }) =>
      call(api.GET("/api/tracing/statistics", { params: { query: { ...time.query(), service, step } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const deps = useQuery({
    queryKey: ["tracing", "dependencies", "service", service, time.key],
    queryFn: ({ signal }) =>
      call(
        api.GET("/api/tracing/services/{service_name}/dependencies", {
          params: { path: { service_name: service }, query: time.query() },
          signal,
        }),
      ),
    refetchInterval: REFRESH_MS,
  });
  const tracesSearch = (extra: Record<string, string>) => {
    const params = new URLSearchParams(search);
    params.set("service", service);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return `?${params.toString()}`;
  };
  const totals = stats.data?.services.find((s) => s.service === service);
  const unknown = deps.error instanceof ApiError && deps.error.status === 404 && stats.data && !totals;

  return (
    <section aria-labelledby="service-title">
      <nav aria-label="Breadcrumb" className="svc-breadcrumb">
        <Link to={{ pathname: "/services", search }}>Services</Link> /
      </nav>
      <header className="svc-head">
        <h1 id="service-title">{service}</h1>
        <div className="svc-actions">
          <Link className="svc-button" to={{ pathname: "/traces", search: tracesSearch({}) }}>
            Search its traces
          </Link>
          <Link className="svc-button" to={{ pathname: "/traces", search: tracesSearch({ sort: "duration" }) }}>
            Slowest traces
          </Link>
          <Link className="svc-button" to={{ pathname: "/traces", search: tracesSearch({ status: "error" }) }}>
            Failed traces
          </Link>
        </div>
      </header>
      {stats.isPending && <Loading label={`Loading ${service}`} />}
      {stats.isError && <ErrorBanner error={stats.error} what="the service's statistics" onRetry={() => stats.refetch()} />}
      {unknown && (
        <EmptyState title={`No spans or calls from ${service} in this range`}>
          <p>Try a longer time range, or check the service name. To see a service here, send its traces:</p>
          <SendTraces />
        </EmptyState>
      )}
      {stats.data && totals && (
        <RedCharts
          stats={totals}
          start={Date.parse(stats.data.start)}
          end={Date.parse(stats.data.end)}
          step={stats.data.step_seconds}
        />
      )}
      {stats.data && !totals && !unknown && deps.data && (
        <p className="notice">
          {service} sent no spans in this range: it is seen only through its callers' client spans (a database, cache or
          external API). Its calls are below.
        </p>
      )}
      {stats.data && totals && (
        <Operations
          operations={stats.data.operations.filter((o) => o.service === service)}
          seconds={(Date.parse(stats.data.end) - Date.parse(stats.data.start)) / 1000}
          traces={(operation) => tracesSearch({ operation })}
        />
      )}
      {deps.isError && !unknown && <ErrorBanner error={deps.error} what="dependencies" onRetry={() => deps.refetch()} />}
      {deps.data && (
        <div className="svc-deps">
          <Dependencies
            title="Called by"
            edges={deps.data.upstream}
            other={(e) => e.caller}
            seconds={(Date.parse(deps.data.end) - Date.parse(deps.data.start)) / 1000}
            search={search}
            empty="No service calls it in this range (an entry point, or its callers are not traced)."
          />
          <Dependencies
            title="Calls"
            edges={deps.data.downstream}
            other={(e) => e.callee}
            seconds={(Date.parse(deps.data.end) - Date.parse(deps.data.start)) / 1000}
            search={search}
            empty="It calls no other service in this range."
          />
        </div>
      )}
    </section>
  );
}

function RedCharts({ stats, start, end, step }: { stats: Schemas["ServiceStatistics"]; start: number; end: number; step: number }) {
  const red = useMemo(() => redSeries(stats.series, start, end, step), [stats.series, start, end, step]);
  const domain: [number, number] = [start, end];
  const basis =
    stats.basis === "entry_spans"
      ? "requests it served (server and consumer spans)"
      : "all its spans (it has no server or consumer spans)";
  return (
    <section className="panel" aria-labelledby="red-title">
      <header className="panel-head">
        <h2 id="red-title">Rate, errors, duration</h2>
        <span className="muted small">of the {basis}</span>
      </header>
      <div className="svc-red">
        <figure className="svc-red-chart" aria-labelledby="red-rate">
          <h3 id="red-rate">
            Requests <span className="svc-total">{formatRate(stats.rate_per_second)}</span>
          </h3>
          <TimeSeriesChart label="Requests per second" domain={domain} format={formatRate} height={150}
            series={[{ name: "requests/s", points: red.rate }]} />
        </figure>
        <figure className="svc-red-chart" aria-labelledby="red-errors">
          <h3 id="red-errors">
            Errors{" "}
            <span className={`svc-total ${errorLevel(stats.error_rate) === "ok" ? "" : errorLevel(stats.error_rate)}`}>
              {formatPercent(stats.error_rate, 2)}
            </span>
          </h3>
          <TimeSeriesChart label="Error rate" domain={domain} format={(v) => formatPercent(v, 1)} height={150}
            series={[{ name: "error rate", points: red.errorRate, color: "var(--bad)" }]} />
        </figure>
        <figure className="svc-red-chart" aria-labelledby="red-duration">
          <h3 id="red-duration">
            Duration <span className="svc-total">p95 {formatMs(stats.p95_ms)}</span>
          </h3>
          <TimeSeriesChart label="Duration percentiles" domain={domain} format={(v) => (v === 0 ? "0" : formatMs(v))} height={150}
            series={[
              { name: "p50", points: red.p50 },
              { name: "p95", points: red.p95 },
              { name: "p99", points: red.p99 },
            ]} />
        </figure>
      </div>
    </section>
  );
}

function Operations({ operations, seconds, traces }: { operations: Operation[]; seconds: number; traces: (op: string) => string }) {
  const sorted = [...operations].sort((a, b) => b.count - a.count);
  return (
    <section className="panel" aria-labelledby="ops-title">
      <header className="panel-head">
        <h2 id="ops-title">Operations</h2>
        <span className="muted small">click one to search its traces</span>
      </header>
      {sorted.length === 0 ? (
        <p className="muted">No operations in this range.</p>
      ) : (
        <table className="data">
          <caption className="visually-hidden">Operations with rate, error rate and p95 duration</caption>
          <thead>
            <tr>
              <th scope="col">Operation</th>
              <th scope="col" className="num">Rate</th>
              <th scope="col" className="num">Error rate</th>
              <th scope="col" className="num">p50</th>
              <th scope="col" className="num">p95</th>
              <th scope="col" className="num">p99</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((o) => (
              <tr key={o.operation}>
                <th scope="row">
                  <Link to={{ pathname: "/traces", search: traces(o.operation) }}>{o.operation}</Link>
                </th>
                <td className="num">{formatRate(o.count / Math.max(1, seconds))}</td>
                <td className={`num ${errorLevel(o.error_rate) === "ok" ? "" : errorLevel(o.error_rate)}`}>
                  {formatPercent(o.error_rate, 2)}
                </td>
                <td className="num">{formatMs(o.p50_ms)}</td>
                <td className="num">{formatMs(o.p95_ms)}</td>
                <td className="num">{formatMs(o.p99_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Dependencies({
  title,
  edges,
  other,
  seconds,
  search,
  empty,
}: {
  title: string;
  edges: Edge[];
  other: (e: Edge) => string;
  seconds: number;
  search: string;
  empty: string;
}) {
  const id = `deps-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <header className="panel-head">
        <h2 id={id}>{title}</h2>
      </header>
      {edges.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col" className="num">Rate</th>
              <th scope="col" className="num">Error rate</th>
              <th scope="col" className="num">p95</th>
            </tr>
          </thead>
          <tbody>
            {edges.map((e) => (
              <tr key={other(e)}>
                <th scope="row">
                  <Link to={{ pathname: `/services/${encodeURIComponent(other(e))}`, search }}>{other(e)}</Link>
                  {!e.traced && <span className="muted small"> (not traced)</span>}
                </th>
                <td className="num">{formatRate(e.call_count / Math.max(1, seconds))}</td>
                <td className={`num ${errorLevel(e.error_rate) === "ok" ? "" : errorLevel(e.error_rate)}`}>
                  {formatPercent(e.error_rate, 2)}
                </td>
                <td className="num">{formatMs(e.p95_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
