import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { formatTime } from "../../components/format";

const KIND = { new_pattern: "new pattern", volume_spike: "volume spike", error_rate_spike: "error-rate spike" } as const;

/** The search that shows an anomaly's lines. */
export function anomalyQuery(kind: string, subject: string, details: Record<string, unknown>): string | null {
  const pattern = details.pattern_id ?? (subject.startsWith("pattern ") ? Number(subject.slice(8)) : undefined);
  if (kind !== "error_rate_spike" && typeof pattern === "number" && Number.isFinite(pattern)) return `pattern:${pattern}`;
  if (subject.startsWith("service ")) return `service:${subject.slice(8)} level:error,fatal`;
  return null;
}

/** New patterns, volume spikes and error-rate spikes of the last 5 minutes against the hour before. */
export function AnomaliesTab({ onSearch }: { onSearch: (q: string) => void }) {
  const report = useQuery({
    queryKey: ["logs", "anomalies"],
    queryFn: ({ signal }) =>
      call(api.GET("/api/logs/anomalies", { params: { query: { window_minutes: 5, baseline_minutes: 60 } }, signal })),
    refetchInterval: 30_000,
  });
  if (report.isPending) return <Loading label="Looking for anomalies" />;
  if (report.isError) return <ErrorBanner error={report.error} what="log anomalies" onRetry={() => report.refetch()} />;
  const { anomalies, window_start, window_end, baseline_start } = report.data;
  return (
    <>
      <p className="muted small">
        The last 5 minutes ({formatTime(window_start)} – {formatTime(window_end)}) against the hour before (from{" "}
        {formatTime(baseline_start)}).
      </p>
      {anomalies.length === 0 ? (
        <EmptyState title="Nothing unusual">
          <p>No new pattern, volume spike or error-rate spike in the last 5 minutes.</p>
        </EmptyState>
      ) : (
        <ul className="item-list">
          {anomalies.map((a) => {
            const q = anomalyQuery(a.kind, a.subject, a.details ?? {});
            return (
              <li key={`${a.kind}-${a.subject}`}>
                <div className="item-main">
                  <span className={`badge ${a.kind === "volume_spike" ? "severity-medium" : "severity-high"}`}>
                    {KIND[a.kind as keyof typeof KIND] ?? a.kind}
                  </span>
                  <span className="item-title">{a.explanation}</span>
                </div>
                <div className="item-meta">
                  <span>{a.subject}</span>
                  <span>score {a.score.toFixed(1)}</span>
                  {q && (
                    <button type="button" className="link-button" onClick={() => onSearch(q)}>
                      Show lines
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
