import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatPercent } from "../../components/format";
import { Loading } from "../../components/Loading";
import { DaysPicker, useDays } from "./DaysPicker";
import { namesOf, useTeams } from "./lookups";

type Entry = Schemas["FatigueEntry"];

/** The score's parts and the most points each can give (alerting/fatigue.py). */
export const SCORE_PARTS = [
  { key: "frequency", label: "frequency", max: 35 },
  { key: "unacknowledged", label: "unacknowledged", max: 25 },
  { key: "low_severity", label: "low severity", max: 15 },
  { key: "self_resolving", label: "self-resolving", max: 15 },
  { key: "flapping", label: "flapping", max: 10 },
] as const;

const VIEWS = [
  { key: "rules", label: "By rule" },
  { key: "services", label: "By service" },
  { key: "teams", label: "By team" },
] as const;
type View = (typeof VIEWS)[number]["key"];

function scoreClass(score: number): string {
  return score >= 60 ? "bad" : score >= 30 ? "warn" : "";
}

/** A 0–100 bar made of the score's parts. */
export function ScoreBar({ entry }: { entry: Entry }) {
  let x = 0;
  const label = SCORE_PARTS.map((p) => `${p.label} ${entry.parts[p.key] ?? 0} of ${p.max}`).join(", ");
  return (
    <svg className="score-bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={`Score ${entry.score}: ${label}`}>
      <rect x={0} y={0} width={100} height={8} className="score-track" />
      {SCORE_PARTS.map((p, i) => {
        const w = entry.parts[p.key] ?? 0;
        const rect = <rect key={p.key} x={x} y={0} width={w} height={8} className={`score-part part-${i + 1}`} />;
        x += w;
        return rect;
      })}
    </svg>
  );
}

/** Alert fatigue: a score per rule, service or team, its parts, the numbers and what to change. */
export function FatigueTab() {
  const [days, setDays] = useDays();
  const [params, setParams] = useSearchParams();
  const view: View = VIEWS.some((v) => v.key === params.get("by")) ? (params.get("by") as View) : "rules";
  const teams = namesOf(useTeams().data?.items);
  const report = useQuery({
    queryKey: ["alerts", "fatigue", days],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/fatigue", { params: { query: { days } }, signal })),
  });
  const pick = (v: View) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev);
      if (v === "rules") p.delete("by");
      else p.set("by", v);
      return p;
    });

  const head = (
    <div className="panel-head">
      <h2 id="fatigue-title">Fatigue report</h2>
      <DaysPicker days={days} onChange={setDays} />
    </div>
  );
  if (report.isPending) return <section aria-labelledby="fatigue-title">{head}<Loading label="Loading the fatigue report" /></section>;
  if (report.isError)
    return (
      <section aria-labelledby="fatigue-title">
        {head}
        <ErrorBanner error={report.error} what="the fatigue report" onRetry={() => report.refetch()} />
      </section>
    );
  const r = report.data;
  const entries = r[view];
  const keyName = (key: string) => (view === "teams" && /^\d+$/.test(key) ? (teams.get(Number(key)) ?? `team ${key}`) : key);

  return (
    <section aria-labelledby="fatigue-title">
      {head}
      <div className="stat-cards">
        <div className="stat-card">
          <div className="stat-label">Fatigue score</div>
          <div className={`stat-value ${scoreClass(r.fatigue_score)}`}>
            {r.fatigue_score}
            <span className="muted small"> / 100</span>
          </div>
          <div className="muted small">weighted by fires, over {r.occurrences} alert fires</div>
        </div>
        <div className="stat-card">
          <div className="stat-label">Flapping alerts</div>
          <div className="stat-value">{r.flapping.length}</div>
          <div className="muted small">state changes ≥ 50% of the last 21 states</div>
        </div>
        <div className="stat-card">
          <div className="stat-label">Recommendations</div>
          <div className="stat-value">{r.rules.reduce((n, e) => n + e.recommendations.length, 0)}</div>
          <div className="muted small">for alert rules</div>
        </div>
      </div>
      <p className="muted small">
        The score adds five parts: {SCORE_PARTS.map((p) => `${p.label} (up to ${p.max})`).join(", ")}.
      </p>
      <ul className="legend" aria-hidden="true">
        {SCORE_PARTS.map((p, i) => (
          <li key={p.key}>
            <i className={`part-${i + 1}`} /> {p.label}
          </li>
        ))}
      </ul>

      <div className="segmented" role="group" aria-label="Fatigue by">
        {VIEWS.map((v) => (
          <button key={v.key} type="button" aria-pressed={v.key === view} onClick={() => pick(v.key)}>
            {v.label}
          </button>
        ))}
      </div>
      {entries.length === 0 ? (
        <EmptyState title={`No alerts fired in the last ${days === 1 ? "day" : `${days} days`}`}>
          <p>The report scores what fired: come back once alerts have been flowing for a while, or pick a longer window.</p>
        </EmptyState>
      ) : (
        <ol className="fatigue-list">
          {entries.map((e) => (
            <li key={e.key} className="panel fatigue-entry">
              <div className="fatigue-head">
                <h3>{keyName(e.key)}</h3>
                <span className={`fatigue-score ${scoreClass(e.score)}`} aria-label={`score ${e.score} of 100`}>
                  {e.score}
                </span>
                <ScoreBar entry={e} />
              </div>
              <dl className="facts inline">
                <div className="fact">
                  <dt>Fires</dt>
                  <dd>
                    {e.fires} ({e.fires_per_day}/day)
                  </dd>
                </div>
                <div className="fact">
                  <dt>Acknowledged</dt>
                  <dd>{formatPercent(e.ack_rate, 0)}</dd>
                </div>
                <div className="fact">
                  <dt>Resolved on their own</dt>
                  <dd>{e.self_resolved}</dd>
                </div>
                <div className="fact">
                  <dt>State changes</dt>
                  <dd>{e.flap_percent}%</dd>
                </div>
                {SCORE_PARTS.map((p) => (
                  <div className="fact" key={p.key}>
                    <dt>{p.label}</dt>
                    <dd>
                      {e.parts[p.key] ?? 0}/{p.max}
                    </dd>
                  </div>
                ))}
              </dl>
              {e.recommendations.length > 0 && (
                <ul className="recommendations" aria-label={`Recommendations for ${keyName(e.key)}`}>
                  {e.recommendations.map((rec) => (
                    <li key={rec.action}>
                      <strong>{rec.action}</strong> — {rec.reason}
                      <div className="numbers">
                        {Object.entries(rec.numbers).map(([k, v]) => (
                          <span key={k} className="label-chip">
                            <span className="label-name">{k.replace(/_/g, " ")}</span> <span className="label-value">{String(v)}</span>
                          </span>
                        ))}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      {r.flapping.length > 0 && (
        <section className="panel" aria-labelledby="flapping-title">
          <h3 id="flapping-title">Flapping alerts</h3>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Service</th>
                <th scope="col" className="num">State changes</th>
                <th scope="col" className="num">Transitions</th>
              </tr>
            </thead>
            <tbody>
              {r.flapping.map((f) => (
                <tr key={f.alert_id}>
                  <th scope="row">{f.alert_name}</th>
                  <td>{f.service}</td>
                  <td className="num">{f.state_change_percent}%</td>
                  <td className="num">{f.transitions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
