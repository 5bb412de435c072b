import { useQuery } from "@tanstack/react-query";
import { api, call, type Schemas } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { DaysPicker, useDays } from "./DaysPicker";
import { SEVERITIES, formatDuration } from "./format";

type Summary = Schemas["DurationSummary"];
type Day = Schemas["DailyCount"];

function DurationCard({ title, what, summary }: { title: string; what: string; summary: Summary }) {
  return (
    <div className="stat-card">
      <div className="stat-label">{title}</div>
      <div className="stat-value">{formatDuration(summary.mean)}</div>
      <div className="muted small">
        {what}: median {formatDuration(summary.median)}, p90 {formatDuration(summary.p90)}, over {summary.count}
      </div>
    </div>
  );
}

/** Fires per day, stacked by severity (SVG). */
export function DailyChart({ days }: { days: Day[] }) {
  const max = Math.max(1, ...days.map((d) => d.total));
  const width = 720;
  const w = width / Math.max(1, days.length);
  const h = 120;
  const every = Math.max(1, Math.ceil(days.length / 10));
  return (
    <figure className="daily-chart">
      <svg viewBox={`0 0 ${width} ${h + 18}`} role="img" aria-label={`Alert fires per day, at most ${max}`}>
        {days.map((d, i) => {
          let y = h;
          return (
            <g key={d.date}>
              <title>{`${d.date}: ${d.total} (${SEVERITIES.filter((s) => d[s]).map((s) => `${d[s]} ${s}`).join(", ") || "none"})`}</title>
              {SEVERITIES.map((s) => {
                const bar = (d[s] / max) * h;
                y -= bar;
                return bar > 0 ? <rect key={s} x={i * w + w * 0.15} y={y} width={w * 0.7} height={bar} className={`sev-fill-${s}`} /> : null;
              })}
              {(days.length - 1 - i) % every === 0 && (
                <text x={i * w + w / 2} y={h + 13} textAnchor="middle" className="tick">
                  {d.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        {SEVERITIES.map((s) => (
          <span key={s}>
            <i className={`sev-fill-${s}`} />
            {s}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function Counts({ title, counts }: { title: string; counts: Record<string, number> }) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <section className="panel" aria-label={title}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="data bars">
          <tbody>
            {rows.map(([k, n]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td className="num">{n}</td>
                <td className="bar-cell">
                  <span className="bar" style={{ width: `${(n / max) * 100}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Counts, MTTA/MTTR, the noisiest alerts and the daily trend. */
export function StatisticsTab() {
  const [days, setDays] = useDays();
  const stats = useQuery({
    queryKey: ["alerts", "statistics", days],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/statistics", { params: { query: { days } }, signal })),
  });
  return (
    <section aria-labelledby="stats-title">
      <div className="panel-head">
        <h2 id="stats-title">Statistics</h2>
        <DaysPicker days={days} onChange={setDays} />
      </div>
      {stats.isPending ? (
        <Loading label="Loading statistics" />
      ) : stats.isError ? (
        <ErrorBanner error={stats.error} what="statistics" onRetry={() => stats.refetch()} />
      ) : (
        <>
          <div className="stat-cards">
            <div className="stat-card">
              <div className="stat-label">Open alerts</div>
              <div className="stat-value">{stats.data.open_alerts}</div>
              <div className="muted small">firing, acknowledged or silenced now</div>
            </div>
            <div className="stat-card">
              <div className="stat-label">Fires</div>
              <div className="stat-value">{stats.data.occurrences}</div>
              <div className="muted small">alert occurrences started in the window</div>
            </div>
            <DurationCard title="MTTA" what="mean time to acknowledge" summary={stats.data.mtta_seconds} />
            <DurationCard title="MTTR" what="mean time to resolve" summary={stats.data.mttr_seconds} />
          </div>
          <section className="panel" aria-labelledby="daily-title">
            <h3 id="daily-title">Fires per day</h3>
            <DailyChart days={stats.data.daily} />
          </section>
          <div className="overview-grid">
            <Counts title="By severity" counts={stats.data.by_severity} />
            <Counts title="By service" counts={stats.data.by_service} />
            <Counts title="By state" counts={stats.data.by_status} />
          </div>
          <section className="panel" aria-labelledby="noisy-title">
            <h3 id="noisy-title">Noisiest alerts</h3>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Alert</th>
                  <th scope="col">Service</th>
                  <th scope="col" className="num">Fires</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.top_noisy.map((n) => (
                  <tr key={`${n.alert_name}/${n.service}`}>
                    <th scope="row">{n.alert_name}</th>
                    <td>{n.service}</td>
                    <td className="num">{n.occurrences}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </section>
  );
}
