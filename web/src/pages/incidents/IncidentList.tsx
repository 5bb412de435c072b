import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { api, call } from "../../api/client";
import { FilterSelect } from "../../components/FilterSelect";
import { can, useMe } from "../../auth/useMe";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { formatDuration, OPEN_STATUSES, SEVERITIES, STATUSES, type Incident, type IncidentStatus } from "./common";
import { DeclareIncident } from "./DeclareIncident";
import { LiveActivity } from "./LiveActivity";

type Severity = (typeof SEVERITIES)[number];
const STAT_DAYS = [7, 30, 90] as const;

export interface ListFilters {
  status: IncidentStatus | "";
  severity: Severity | "";
  service: string;
}

export function readFilters(params: URLSearchParams): ListFilters {
  const status = params.get("status") ?? "";
  const severity = params.get("severity") ?? "";
  return {
    status: (STATUSES as string[]).includes(status) ? (status as IncidentStatus) : "",
    severity: (SEVERITIES as readonly string[]).includes(severity) ? (severity as Severity) : "",
    service: params.get("service") ?? "",
  };
}

export function IncidentList() {
  usePageTitle("Incidents");
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const daysParam = Number(params.get("days"));
  const days = (STAT_DAYS as readonly number[]).includes(daysParam) ? daysParam : 30;
  const me = useMe().data;
  const [declaring, setDeclaring] = useState(false);

  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  const stats = useQuery({
    queryKey: ["incidents", "statistics", days],
    queryFn: ({ signal }) => call(api.GET("/api/incidents/statistics", { params: { query: { days } }, signal })),
  });
  const services = useQuery({
    queryKey: ["incidents", "service-names"],
    queryFn: ({ signal }) => call(api.GET("/api/tracing/services", { signal })),
    staleTime: 5 * 60_000,
  });
  const serviceNames = [
    ...new Set([
      ...Object.keys(stats.data?.by_service ?? {}),
      ...(Array.isArray(services.data) ? services.data : []),
      ...(filters.service ? [filters.service] : []),
    ]),
  ].sort();

  // Open first: the unresolved ones, then resolved and closed (unless a status is chosen).
  const showOpen = filters.status === "" || OPEN_STATUSES.includes(filters.status);
  const showPast = filters.status === "" || !OPEN_STATUSES.includes(filters.status);
  const common = {
    ...(filters.severity ? { severity: filters.severity } : {}),
    ...(filters.service ? { service: filters.service } : {}),
  };

  return (
    <div className="incidents">
      <div className="page-head">
        <h1>Incidents</h1>
        {can(me, "respond") && (
          <button type="button" className="primary" onClick={() => setDeclaring((v) => !v)} aria-expanded={declaring}>
            Declare incident
          </button>
        )}
      </div>
      {declaring && <DeclareIncident onClose={() => setDeclaring(false)} />}

      <section className="panel" aria-labelledby="response-times">
        <header className="panel-head">
          <h2 id="response-times">Response times</h2>
          <label>
            <span className="visually-hidden">Statistics period</span>
            <select value={days} onChange={(e) => set("days", e.target.value === "30" ? "" : e.target.value)} aria-label="Statistics period">
              {STAT_DAYS.map((d) => (
                <option key={d} value={d}>
                  last {d} days
                </option>
              ))}
            </select>
          </label>
        </header>
        {stats.isPending ? (
          <Loading label="Loading statistics" />
        ) : stats.isError ? (
          <ErrorBanner error={stats.error} what="incident statistics" onRetry={() => stats.refetch()} />
        ) : (
          <div className="stat-grid">
            <Stat label="MTTA (mean)" value={formatDuration(stats.data.mtta.mean_seconds)} hint={`median ${formatDuration(stats.data.mtta.median_seconds)}, p90 ${formatDuration(stats.data.mtta.p90_seconds)}`} />
            <Stat label="MTTR (mean)" value={formatDuration(stats.data.mttr.mean_seconds)} hint={`median ${formatDuration(stats.data.mttr.median_seconds)}, p90 ${formatDuration(stats.data.mttr.p90_seconds)}`} />
            <Stat label="Incidents" value={String(stats.data.total)} hint={`${stats.data.open} still open`} />
            <Stat
              label="By severity"
              value={
                SEVERITIES.filter((s) => stats.data.by_severity[s])
                  .map((s) => `${stats.data.by_severity[s]} ${s}`)
                  .join(", ") || "none"
              }
            />
          </div>
        )}
      </section>

      <div className="filters" role="group" aria-label="Filters">
        <FilterSelect label="Status" value={filters.status} options={STATUSES} onChange={(v) => set("status", v)} anyLabel="any (open first)" />
        <FilterSelect label="Severity" value={filters.severity} options={SEVERITIES} onChange={(v) => set("severity", v)} />
        <FilterSelect label="Service" value={filters.service} options={serviceNames} onChange={(v) => set("service", v)} />
      </div>

      <div className="incidents-columns">
        <div>
          {showOpen && (
            <IncidentSection
              title="Open"
              id="open-incidents"
              filterKey={["active", common, filters.status]}
              load={(cursor, signal) =>
                call(api.GET("/api/incidents/active", { params: { query: { ...common, limit: 50, ...(cursor ? { cursor } : {}) } }, signal })).then((page) => ({
                  ...page,
                  items: filters.status ? page.items.filter((i) => i.status === filters.status) : page.items,
                }))
              }
              empty="No open incidents. Incident policies open them from alerts; a responder can declare one."
            />
          )}
          {showPast && (
            <IncidentSection
              title={filters.status ? `Status: ${filters.status}` : "Resolved and closed"}
              id="past-incidents"
              filterKey={["list", common, filters.status]}
              load={(cursor, signal) =>
                call(
                  api.GET("/api/incidents", {
                    params: { query: { ...common, status: filters.status ? [filters.status] : ["resolved", "closed"], limit: 50, ...(cursor ? { cursor } : {}) } },
                    signal,
                  }),
                )
              }
              empty="Nothing here for these filters."
            />
          )}
        </div>
        <LiveActivity />
      </div>
    </div>
  );
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint && <div className="stat-hint muted small">{hint}</div>}
    </div>
  );
}

interface PageOf {
  items: Incident[];
  next_cursor?: string | null;
}

function IncidentSection({
  title,
  id,
  filterKey,
  load,
  empty,
}: {
  title: string;
  id: string;
  filterKey: unknown[];
  load: (cursor: string | undefined, signal: AbortSignal) => Promise<PageOf>;
  empty: string;
}) {
  const search = keepTimeRange(useLocation().search);
  const query = useInfiniteQuery({
    queryKey: ["incidents", ...filterKey],
    queryFn: ({ pageParam, signal }) => load(pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="panel" aria-labelledby={id}>
      <header className="panel-head">
        <h2 id={id}>
          {title} {query.isSuccess && <span className="count">{`${items.length}${query.hasNextPage ? "+" : ""}`}</span>}
        </h2>
      </header>
      {query.isPending ? (
        <Loading label="Loading incidents" />
      ) : query.isError ? (
        <ErrorBanner error={query.error} what="incidents" onRetry={() => query.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={empty} />
      ) : (
        <>
          <table className="data incident-table">
            <thead>
              <tr>
                <th scope="col">Incident</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Services</th>
                <th scope="col">Commander</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((incident) => (
                <tr key={incident.id}>
                  <th scope="row">
                    <Link to={{ pathname: `/incidents/${incident.id}`, search }}>{incident.title}</Link>
                    <span className="muted small"> #{incident.id}</span>
                  </th>
                  <td>
                    <SeverityBadge severity={incident.severity} />
                    {incident.priority && <span className="muted small"> {incident.priority}</span>}
                  </td>
                  <td>
                    <StatusBadge status={incident.status} />
                  </td>
                  <td>{incident.affected_services.join(", ") || <span className="muted">–</span>}</td>
                  <td>{incident.commander ?? <span className="muted">none</span>}</td>
                  <td>
                    <time dateTime={incident.started_at} title={formatTime(incident.started_at)}>
                      {formatRelative(incident.started_at)}
                    </time>
                  </td>
                  <td className="num">{formatDuration(((incident.resolved_at ? Date.parse(incident.resolved_at) : Date.now()) - Date.parse(incident.started_at)) / 1000)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {query.hasNextPage && (
            <button type="button" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              {query.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
    </section>
  );
}
