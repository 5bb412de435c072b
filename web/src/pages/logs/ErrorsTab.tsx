import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatRelative } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";

/** The search that shows an error group's lines. */
export function errorGroupQuery(group: Schemas["ErrorGroup"]): string {
  if (group.exception_type) return `exception.type:${JSON.stringify(group.exception_type)} level:error,fatal`;
  if (group.pattern_id !== null && group.pattern_id !== undefined) return `pattern:${group.pattern_id} level:error,fatal`;
  return "level:error,fatal";
}

/** ERROR and FATAL lines grouped like an error tracker's issues. */
export function ErrorsTab({ onSearch }: { onSearch: (q: string) => void }) {
  const time = useTimeRange();
  const search = keepTimeRange(useLocation().search);
  const groups = useQuery({
    queryKey: ["logs", "errors", time.key],
    queryFn: ({ signal }) => call(api.GET("/api/logs/errors", { params: { query: { ...time.query(), limit: 100 } }, signal })),
    refetchInterval: 30_000,
  });
  if (groups.isPending) return <Loading label="Loading error groups" />;
  if (groups.isError) return <ErrorBanner error={groups.error} what="error groups" onRetry={() => groups.refetch()} />;
  if (groups.data.length === 0)
    return (
      <EmptyState title="No errors in this time range">
        <p>No ERROR or FATAL line arrived in the selected range. Widen the range to look further back.</p>
      </EmptyState>
    );
  return (
    <ul className="item-list error-groups">
      {groups.data.map((g) => (
        <li key={g.group}>
          <div className="item-main">
            <span className="count" aria-label={`${g.count} lines`}>
              {g.count.toLocaleString()}
            </span>
            <button type="button" className="link-button item-title" onClick={() => onSearch(errorGroupQuery(g))}>
              {g.exception_type ?? g.template ?? g.group}
            </button>
          </div>
          {g.sample && <div className="item-meta log-sample">{g.sample.message}</div>}
          <div className="item-meta">
            <span>{g.services.join(", ")}</span>
            <span>
              first {formatRelative(g.first_seen)}, last {formatRelative(g.last_seen)}
            </span>
            {g.sample?.trace_id && (
              <Link to={{ pathname: `/traces/${g.sample.trace_id}`, search }}>trace of the newest</Link>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
