import { useMutation, useQueries, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { api, call } from "../../api/client";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import { refreshIncident, type Incident } from "./common";

const SHOWN = 25;

/** The alerts linked to the incident (each links to its page); responders link more. */
export function LinkedAlerts({ incident, canRespond }: { incident: Incident; canRespond: boolean }) {
  const search = keepTimeRange(useLocation().search);
  const queryClient = useQueryClient();
  const [alertId, setAlertId] = useState("");
  const ids = incident.alert_ids.slice(0, SHOWN);
  const alerts = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["incidents", "detail", incident.id, "alert", id],
      queryFn: ({ signal }: { signal: AbortSignal }) => call(api.GET("/api/alerts/{alert_id}", { params: { path: { alert_id: id } }, signal })),
    })),
  });
  const link = useMutation({
    mutationFn: (id: number) => call(api.POST("/api/incidents/{incident_id}/alerts", { params: { path: { incident_id: incident.id } }, body: { alert_id: id } })),
    onSuccess: (updated) => {
      setAlertId("");
      queryClient.setQueryData(["incidents", "detail", incident.id], updated);
      void refreshIncident(queryClient, incident.id);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = Number(alertId);
    if (Number.isInteger(id) && id > 0) link.mutate(id);
  };
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <header className="panel-head">
        <h2 id="alerts-title">
          Linked alerts <span className="count">{incident.alert_ids.length}</span>
        </h2>
      </header>
      {ids.length === 0 ? (
        <p className="muted small">No alerts linked. Alerts of the same group or service join by themselves; link one by its id below.</p>
      ) : (
        <ul className="item-list">
          {ids.map((id, i) => {
            const alert = alerts[i]?.data;
            return (
              <li key={id}>
                <div className="item-main">
                  {alert && <SeverityBadge severity={alert.severity} />}
                  <Link to={{ pathname: `/alerts/${id}`, search }}>{alert ? alert.title || alert.alert_name : `Alert ${id}`}</Link>
                </div>
                {alert && (
                  <div className="item-meta">
                    <span>{alert.service}</span>
                    <StatusBadge status={alert.status} />
                    <span>fired {formatRelative(alert.starts_at)}</span>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {incident.alert_ids.length > SHOWN && <p className="muted small">and {incident.alert_ids.length - SHOWN} more</p>}
      {canRespond && (
        <form className="inline-form" onSubmit={submit} aria-label="Link an alert">
          <label>
            <span className="visually-hidden">Alert id</span>
            <input inputMode="numeric" pattern="[0-9]*" value={alertId} onChange={(e) => setAlertId(e.target.value)} placeholder="alert id" aria-label="Alert id" size={8} />
          </label>
          <button type="submit" disabled={link.isPending || !alertId}>
            Link alert
          </button>
        </form>
      )}
      {link.isError && <ErrorBanner error={link.error} title="The alert was not linked" />}
    </section>
  );
}
