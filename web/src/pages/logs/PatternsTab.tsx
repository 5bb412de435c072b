import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { Sparkline } from "../../components/TimeSeriesChart";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatRelative } from "../../components/format";
import { timeRangeDurationMs } from "../../components/timeRange";
import { levelClass } from "./levels";
import { SendLogs } from "./SendLogs";

/** Drain templates, busiest first; a template opens the search for its lines. */
export function PatternsTab({ onSearch }: { onSearch: (q: string) => void }) {
  const time = useTimeRange();
  const minutes = Math.min(1440, Math.ceil(timeRangeDurationMs(time.range) / 60_000));
  const patterns = useQuery({
    queryKey: ["logs", "patterns", minutes],
    queryFn: ({ signal }) =>
      call(api.GET("/api/logs/patterns", { params: { query: { limit: 100, volume_minutes: minutes } }, signal })),
    refetchInterval: 30_000,
  });
  if (patterns.isPending) return <Loading label="Loading patterns" />;
  if (patterns.isError) return <ErrorBanner error={patterns.error} what="log patterns" onRetry={() => patterns.refetch()} />;
  if (patterns.data.items.length === 0)
    return (
      <EmptyState title="No patterns yet">
        <p>Patterns are mined from every line within a second or two of ingest. Send some logs:</p>
        <SendLogs />
      </EmptyState>
    );
  const now = Date.now();
  const domain: [number, number] = [now - minutes * 60_000, now];
  return (
    <table className="data patterns">
      <caption className="visually-hidden">Log patterns, busiest first</caption>
      <thead>
        <tr>
          <th scope="col">Pattern</th>
          <th scope="col" className="num">
            Lines
          </th>
          <th scope="col" className="num">
            Errors
          </th>
          <th scope="col">Services</th>
          <th scope="col">Volume</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        {patterns.data.items.map((p) => (
          <tr key={p.id}>
            <th scope="row">
              <div className="pattern-cell">
                <span className={`log-level ${levelClass(p.max_level)}`}>{p.max_level}</span>
                <button
                  type="button"
                  className="link-button template"
                  title={`Example: ${p.example}`}
                  onClick={() => onSearch(`pattern:${p.id}`)}
                >
                  {p.template}
                </button>
              </div>
            </th>
            <td className="num">{p.count.toLocaleString()}</td>
            <td className={`num${p.error_count ? " bad" : ""}`}>{p.error_count.toLocaleString()}</td>
            <td>{p.services.join(", ")}</td>
            <td>
              <Sparkline
                label={`Lines per minute of pattern ${p.id}`}
                points={(p.volume ?? []).map((v) => ({ t: Date.parse(v.minute), v: v.count }))}
                domain={domain}
              />
            </td>
            <td className="nowrap">
              <time dateTime={p.last_seen}>{formatRelative(p.last_seen)}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
