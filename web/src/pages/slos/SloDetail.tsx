import { useQuery } from "@tanstack/react-query";
import { Link, useLocation, useParams } from "react-router";
import { ApiError, api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { TimeSeriesChart } from "../../components/TimeSeriesChart";
import { useTimeRange } from "../../components/TimeRangePicker";
import { formatRelative, formatTime } from "../../components/format";
import { keepTimeRange, stepSeconds } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { BudgetBar } from "./BudgetBar";
import { BurnRateTable } from "./BurnRateTable";
import { REFRESH_MS, sloState } from "./SloList";
import { formatBurn, formatRatio, formatSpan, sliLabel, windowLabel } from "./sloFormat";

/** /slos/<id>: budget, burn-down, burn rates per window, alert state, prediction, violations. */
export function SloDetail() {
  const { sloId = "" } = useParams();
  const id = Number(sloId);
  const search = keepTimeRange(useLocation().search);
  const time = useTimeRange();
  const path = { params: { path: { slo_id: id } } };
  const slo = useQuery({
    queryKey: ["slo", id],
    queryFn: ({ signal }) => call(api.GET("/api/slo/{slo_id}", { ...path, signal })),
    enabled: Number.isInteger(id),
  });
  const status = useQuery({
    queryKey: ["slo", id, "status"],
    queryFn: ({ signal }) => call(api.GET("/api/slo/{slo_id}/status", { ...path, signal })),
    enabled: slo.isSuccess,
    refetchInterval: REFRESH_MS,
  });
  usePageTitle(slo.data?.name ?? "SLO");

  if (!Number.isInteger(id) || (slo.error instanceof ApiError && slo.error.status === 404))
    return (
      <section aria-labelledby="slo-title">
        <h1 id="slo-title">SLO not found</h1>
        <EmptyState title={`There is no SLO ${sloId}`}>
          <p>
            It may have been deleted. <Link to={{ pathname: "/slos", search }}>All SLOs</Link>
          </p>
        </EmptyState>
      </section>
    );
  if (slo.isPending) return <Loading label="Loading the SLO" />;
  if (slo.isError) return <ErrorBanner error={slo.error} what="the SLO" onRetry={() => slo.refetch()} />;
  const def = slo.data;
  const st = status.data;
  const state = st ? sloState(st) : null;
  return (
    <section aria-labelledby="slo-title" className="slo-detail">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={{ pathname: "/slos", search }}>SLOs</Link> /
      </nav>
      <h1 id="slo-title">
        {def.name} {state && <span className={`badge ${state.className}`}>{state.label}</span>}
      </h1>
      <p className="slo-meta">
        <span>
          service <strong>{def.service}</strong>
        </span>
        <span>
          target <strong>{formatRatio(def.target)}</strong>
        </span>
        <span>{windowLabel(def.window)}</span>
        <span>SLI: {sliLabel(def.sli)}</span>
        <span>{def.budgeting === "timeslices" ? "budget in bad minutes (timeslices)" : "budget in events"}</span>
      </p>
      {def.description && <p className="muted">{def.description}</p>}
      {(st?.source_error ?? def.source_error) && (
        <ErrorBanner error={new Error(st?.source_error ?? def.source_error ?? "")} title="The SLI source failed" />
      )}
      {status.isError && <ErrorBanner error={status.error} what="the SLO's status" onRetry={() => status.refetch()} />}
      {status.isPending && <Loading label="Loading the status" />}
      {st && (
        <div className="slo-grid">
          <section className="panel" aria-labelledby="budget-title">
            <h2 id="budget-title">Error budget</h2>
            <BudgetBar remainingRatio={st.error_budget.remaining_ratio} name={def.name} />
            <dl className="facts">
              <dt>SLI over the window</dt>
              <dd className={st.meets_target ? "" : "bad"}>
                {formatRatio(st.sli)} ({st.good.toLocaleString()} good of {st.total.toLocaleString()})
              </dd>
              <dt>Budget</dt>
              <dd>
                {st.error_budget.consumed.toLocaleString(undefined, { maximumFractionDigits: 1 })} of{" "}
                {st.error_budget.total.toLocaleString(undefined, { maximumFractionDigits: 1 })} {st.error_budget.unit} spent
              </dd>
              <dt>As time</dt>
              <dd>
                {st.error_budget.time_remaining_minutes > 0
                  ? `${formatSpan(st.error_budget.time_remaining_minutes * 60)} of ${formatSpan(st.error_budget.time_total_minutes * 60)} left`
                  : `none of ${formatSpan(st.error_budget.time_total_minutes * 60)} left`}
              </dd>
              <dt>Window</dt>
              <dd>
                {formatTime(st.window_start)} – {formatTime(st.window_end)}
              </dd>
            </dl>
          </section>
          <Prediction id={id} />
        </div>
      )}
      <BurnDown id={id} rangeKey={time.key} />
      {st && (
        <section className="panel" aria-labelledby="burn-title">
          <h2 id="burn-title">Burn rates</h2>
          <BurnRateTable conditions={st.conditions} burnRates={st.burn_rates} />
        </section>
      )}
      {st && <AlertState states={st.alert_state} />}
      <Violations id={id} />
    </section>
  );
}

function BurnDown({ id, rangeKey }: { id: number; rangeKey: string }) {
  const time = useTimeRange();
  const step = Math.max(60, stepSeconds(time.range, 120));
  const history = useQuery({
    queryKey: ["slo", id, "history", rangeKey, step],
    queryFn: ({ signal }) =>
      call(
        api.GET("/api/slo/{slo_id}/history", {
          params: { path: { slo_id: id }, query: { ...time.query(), step: `${step / 60}m` } },
          signal,
        }),
      ),
    refetchInterval: REFRESH_MS,
  });
  let body;
  if (history.isPending) body = <Loading label="Loading the burn-down" />;
  else if (history.isError) body = <ErrorBanner error={history.error} what="the burn-down" onRetry={() => history.refetch()} />;
  else {
    const points = history.data.points;
    body = (
      <TimeSeriesChart
        label="Error budget remaining over the time range"
        format={(v) => `${Math.round(v)}%`}
        series={[
          { name: "budget remaining", points: points.map((p) => ({ t: Date.parse(p.at), v: Math.max(p.remaining_ratio, 0) * 100 })) },
        ]}
        height={200}
      />
    );
  }
  return (
    <section className="panel" aria-labelledby="burndown-title">
      <header className="panel-head">
        <h2 id="burndown-title">Budget burn-down</h2>
        <span className="muted small">the budget left in the window at each point of the selected range</span>
      </header>
      {body}
    </section>
  );
}

function Prediction({ id }: { id: number }) {
  const prediction = useQuery({
    queryKey: ["slo", id, "predict"],
    queryFn: ({ signal }) => call(api.GET("/api/slo/{slo_id}/predict", { params: { path: { slo_id: id } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  let body;
  if (prediction.isPending) body = <Loading label="Predicting" />;
  else if (prediction.isError) body = <ErrorBanner error={prediction.error} what="the prediction" onRetry={() => prediction.refetch()} />;
  else {
    const p = prediction.data;
    const eta = (seconds: number | null | undefined) =>
      seconds === null || seconds === undefined ? "never at this rate" : seconds <= 0 ? "exhausted" : `in ${formatSpan(seconds)}`;
    body = (
      <dl className="facts">
        <dt>Budget exhausted</dt>
        <dd className={p.exhausted ? "bad" : p.breach_in_window ? "warn" : ""}>
          {p.exhausted
            ? "already"
            : p.expected_exhaustion_at
              ? `${formatRelative(p.expected_exhaustion_at)} (${formatTime(p.expected_exhaustion_at)})`
              : "not expected"}
        </dd>
        <dt>At the current burn</dt>
        <dd>
          {eta(p.seconds_to_exhaustion_current_burn)} ({formatBurn(p.current_burn_rate)} over the last hour)
        </dd>
        <dt>From the trend</dt>
        <dd>
          {eta(p.seconds_to_exhaustion_trend)}
          {p.trend_points > 0 && <span className="muted"> ({p.trend_points} points)</span>}
        </dd>
        <dt>Confidence</dt>
        <dd>
          <meter min={0} max={1} value={p.confidence} aria-label="Prediction confidence" /> {formatRatio(Math.round(p.confidence * 100) / 100)}
        </dd>
        <dt>Breach in this window</dt>
        <dd>{p.breach_in_window ? `yes${p.breach_at ? `, ${formatTime(p.breach_at)}` : ""}` : "no"}</dd>
        {p.predicted_breach_alert && (
          <>
            <dt>Alert</dt>
            <dd className="bad">SLOPredictedBreach is firing</dd>
          </>
        )}
      </dl>
    );
  }
  return (
    <section className="panel" aria-labelledby="predict-title">
      <h2 id="predict-title">Prediction</h2>
      {body}
    </section>
  );
}

function AlertState({ states }: { states: Schemas["AlertStateOut"][] }) {
  const search = keepTimeRange(useLocation().search);
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alert state</h2>
      {states.length === 0 ? (
        <p className="muted">No burn-rate alert has fired for this SLO.</p>
      ) : (
        <ul className="item-list">
          {states.map((a) => (
            <li key={`${a.condition}-${a.severity}`}>
              <div className="item-main">
                <span className={`badge ${a.severity === "page" ? "severity-critical" : "severity-medium"}`}>{a.severity}</span>
                <span className={`status-${a.state}`}>{a.state}</span>
                <span className="muted">since {formatRelative(a.since)}</span>
                {a.alert_id !== null && a.alert_id !== undefined && (
                  <Link to={{ pathname: `/alerts/${a.alert_id}`, search }}>alert #{a.alert_id}</Link>
                )}
              </div>
              {a.value !== null && a.value !== undefined && a.threshold !== null && a.threshold !== undefined && (
                <div className="item-meta">
                  burn {formatBurn(a.value)} against {formatBurn(a.threshold)}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Violations({ id }: { id: number }) {
  const violations = useQuery({
    queryKey: ["slo", "violations", "all"],
    queryFn: ({ signal }) => call(api.GET("/api/slo/violations", { params: { query: { limit: 200 } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const mine = violations.data?.items.find((v) => v.slo_id === id);
  return (
    <section className="panel" aria-labelledby="violations-title">
      <h2 id="violations-title">Violations</h2>
      {violations.isPending ? (
        <Loading label="Loading violations" />
      ) : violations.isError ? (
        <ErrorBanner error={violations.error} what="violations" onRetry={() => violations.refetch()} />
      ) : mine ? (
        <ul className="violations">
          {mine.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">None: the SLO meets its target and no burn-rate condition is firing.</p>
      )}
    </section>
  );
}
