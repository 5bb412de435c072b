import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { Sparkline } from "../../components/TimeSeriesChart";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatMs, formatPercent, formatRate } from "../../components/format";
import { keepTimeRange, presetLabel, stepSeconds } from "../../components/timeRange";
import { SendTraces } from "./HowToSend";

type ServiceStats = Schemas["ServiceStatistics"];

export const REFRESH_MS = 30_000;

function errorClass(ratio: number): string {
  if (ratio >= 0.05) return "bad";
  if (ratio >= 0.01) return "warn";
  return "";
}

export function ServicesSection() {
  const time = useTimeRange();
  const location = useLocation();
  const step = stepSeconds(time.range);
  const stats = useQuery({
    queryKey: ["tracing", "statistics", "overview", time.key, step],
    queryFn: ({ signal }) =>
      call(api.GET("/api/tracing/statistics", { params: { query: { ...time.query(), step } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const rangeText = time.range.kind === "relative" ? presetLabel(time.range.preset).toLowerCase() : "the chosen range";

  let body;
  if (stats.isPending) body = <Loading label="Loading services" />;
  else if (stats.isError) body = <ErrorBanner error={stats.error} what="service statistics" onRetry={() => stats.refetch()} />;
  else if (stats.data.services.length === 0)
    body = (
      <EmptyState title={`No traces in ${rangeText}`}>
        <SendTraces />
      </EmptyState>
    );
  else {
    const services = [...stats.data.services].sort((a, b) => b.rate_per_second - a.rate_per_second);
    const domain: [number, number] = [Date.parse(stats.data.start), Date.parse(stats.data.end)];
    body = <ServicesTable services={services} search={keepTimeRange(location.search)} domain={domain} />;
  }

  return (
    <section className="panel" aria-labelledby="services-title">
      <header className="panel-head">
        <h2 id="services-title">Services</h2>
        {stats.data && stats.data.services.length > 0 && (
          <span className="muted">
            {stats.data.services.length} services · {formatRate(stats.data.totals.rate_per_second)} spans
          </span>
        )}
      </header>
      {body}
    </section>
  );
}

function ServicesTable({
  services,
  search,
  domain,
}: {
  services: ServiceStats[];
  search: string;
  domain: [number, number];
}) {
  return (
    <table className="data">
      <caption className="visually-hidden">Services with request rate, error rate and p95 latency</caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col" className="num">
            Requests
          </th>
          <th scope="col" className="num">
            Error rate
          </th>
          <th scope="col" className="num">
            p95
          </th>
          <th scope="col">Trend (requests)</th>
        </tr>
      </thead>
      <tbody>
        {services.map((s) => (
          <tr key={s.service}>
            <th scope="row">
              <Link to={{ pathname: `/services/${encodeURIComponent(s.service)}`, search }}>{s.service}</Link>
              {s.basis === "all_spans" && (
                <span className="muted small" title="This service sent no server or consumer spans: all its spans count">
                  {" "}
                  (all spans)
                </span>
              )}
            </th>
            <td className="num">{formatRate(s.rate_per_second)}</td>
            <td className={`num ${errorClass(s.error_rate)}`}>{formatPercent(s.error_rate, 2)}</td>
            <td className="num">{formatMs(s.p95_ms)}</td>
            <td>
              <Sparkline
                label={`${s.service} requests over time`}
                domain={domain}
                points={s.series.map((p) => ({ t: Date.parse(p.time), v: p.rate_per_second }))}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
