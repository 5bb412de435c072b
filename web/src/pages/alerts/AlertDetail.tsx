import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { formatDuration, formatValue } from "./format";
import { LabelChips } from "./LabelChips";
import { matchersFromLabels } from "./matchers";
import { SilenceCreated } from "./SilenceCreated";
import { SilenceForm } from "./SilenceForm";
import { useAlertAction } from "./useAlertActions";

type Silence = Schemas["SilenceOut"];

function When({ at }: { at: string | null }) {
  if (!at) return <>–</>;
  return (
    <time dateTime={at} title={formatTime(at)}>
      {formatRelative(at)}
    </time>
  );
}

/** One alert: what it says, its labels, its lifecycle events and its fire → resolve cycles. */
export function AlertDetail() {
  const raw = useParams().alertId ?? "";
  const alertId = Number(raw);
  const search = keepTimeRange(useLocation().search);
  const canRespond = can(useMe().data, "respond");
  const [silencing, setSilencing] = useState(false);
  const [created, setCreated] = useState<Silence | null>(null);
  const acknowledge = useAlertAction("acknowledge");
  const resolve = useAlertAction("resolve");
  const valid = Number.isInteger(alertId) && alertId > 0;
  const alert = useQuery({
    queryKey: ["alerts", "alert", alertId],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/{alert_id}", { params: { path: { alert_id: alertId } }, signal })),
    enabled: valid,
  });
  const events = useQuery({
    queryKey: ["alerts", "alert", alertId, "events"],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/{alert_id}/events", { params: { path: { alert_id: alertId } }, signal })),
    enabled: valid,
  });
  const occurrences = useQuery({
    queryKey: ["alerts", "alert", alertId, "occurrences"],
    queryFn: ({ signal }) =>
      call(api.GET("/api/alerts/{alert_id}/occurrences", { params: { path: { alert_id: alertId } }, signal })),
    enabled: valid,
  });
  usePageTitle(alert.data ? `${alert.data.alert_name} · Alerts` : "Alert");

  if (!valid) return <ErrorBanner error={new Error(`"${raw}" is not an alert id.`)} title="No such alert" />;
  if (alert.isPending) return <Loading label="Loading the alert" />;
  if (alert.isError) return <ErrorBanner error={alert.error} what="the alert" onRetry={() => alert.refetch()} />;
  const a = alert.data;
  const open = a.status !== "resolved";
  const actionError = acknowledge.error ?? resolve.error;

  return (
    <article aria-labelledby="alert-title" className="alert-detail">
      <p>
        <Link to={{ pathname: "/alerts", search }}>← Active alerts</Link>
      </p>
      <header className="panel">
        <h2 id="alert-title">
          <SeverityBadge severity={a.severity} /> {a.title || a.alert_name}
        </h2>
        <p className="group-meta">
          <StatusBadge status={a.status} />
          <span>{a.alert_name}</span>
          <span>service {a.service || "–"}</span>
          <span>source {a.source}</span>
          {a.group_id !== null && <span>group {a.group_id}</span>}
          {a.acknowledged_by && <span>acknowledged by {a.acknowledged_by}</span>}
          {a.muted_by && <span>muted by {a.muted_by}</span>}
        </p>
        {a.description && <p>{a.description}</p>}
        <dl className="facts">
          <dt>Started</dt>
          <dd>
            <When at={a.starts_at} />
          </dd>
          <dt>Last seen</dt>
          <dd>
            <When at={a.last_seen_at} />
          </dd>
          <dt>Resolved</dt>
          <dd>
            <When at={a.resolved_at} />
          </dd>
          <dt>Value</dt>
          <dd>{formatValue(a.current_value, a.threshold_value)}</dd>
          <dt>Count</dt>
          <dd>
            {a.count} (occurrence {a.occurrences})
          </dd>
        </dl>
        <h3>Labels</h3>
        <LabelChips labels={a.labels} />
        {Object.keys(a.annotations).length > 0 && (
          <>
            <h3>Annotations</h3>
            <dl className="facts">
              {Object.entries(a.annotations).map(([k, v]) => (
                <div key={k} className="fact">
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          </>
        )}
        {a.generator_url && (
          <p>
            <a href={a.generator_url} target="_blank" rel="noreferrer">
              Open in the source
            </a>
          </p>
        )}
        {canRespond && open && (
          <div className="form-actions start">
            {a.status === "firing" && (
              <button type="button" className="primary" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate(a.id)}>
                Acknowledge
              </button>
            )}
            <button type="button" disabled={resolve.isPending} onClick={() => resolve.mutate(a.id)}>
              Resolve
            </button>
            <button type="button" onClick={() => setSilencing(true)}>
              Silence…
            </button>
          </div>
        )}
        {actionError && <ErrorBanner error={actionError} title="That did not work" />}
        {created && <SilenceCreated silence={created} onDismiss={() => setCreated(null)} />}
      </header>

      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title">Lifecycle</h2>
        {events.isPending ? (
          <Loading label="Loading events" />
        ) : events.isError ? (
          <ErrorBanner error={events.error} what="events" />
        ) : (
          <ol className="event-list">
            {events.data.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at} title={formatTime(e.at)}>
                  {formatTime(e.at)}
                </time>{" "}
                <strong>{e.kind}</strong>
                {e.actor && <> by {e.actor}</>}
                {Object.keys(e.detail).length > 0 && <code className="muted small"> {JSON.stringify(e.detail)}</code>}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="panel" aria-labelledby="occurrences-title">
        <h2 id="occurrences-title">Occurrences</h2>
        {occurrences.isPending ? (
          <Loading label="Loading occurrences" />
        ) : occurrences.isError ? (
          <ErrorBanner error={occurrences.error} what="occurrences" />
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Severity</th>
                <th scope="col">Acknowledged after</th>
                <th scope="col">Resolved after</th>
                <th scope="col">Resolved by</th>
                <th scope="col" className="num">Count</th>
              </tr>
            </thead>
            <tbody>
              {occurrences.data.map((o) => {
                const start = Date.parse(o.started_at);
                const after = (t: string | null) => (t ? formatDuration((Date.parse(t) - start) / 1000) : "–");
                return (
                  <tr key={o.id}>
                    <td>{formatTime(o.started_at)}</td>
                    <td>
                      <SeverityBadge severity={o.severity} />
                    </td>
                    <td>{after(o.acknowledged_at)}</td>
                    <td>{after(o.resolved_at)}</td>
                    <td>{o.resolved_by ?? "–"}</td>
                    <td className="num">{o.count}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      {silencing && (
        <SilenceForm
          title={`Silence ${a.alert_name}`}
          initial={matchersFromLabels(a.labels)}
          onClose={() => setSilencing(false)}
          onCreated={(s) => {
            setSilencing(false);
            setCreated(s);
          }}
        />
      )}
    </article>
  );
}
