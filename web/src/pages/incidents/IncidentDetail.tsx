import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { api, ApiError, call } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { ActionItems } from "./ActionItems";
import { formatDuration, keys, refreshIncident, SEVERITIES, type Incident } from "./common";
import { LinkedAlerts } from "./LinkedAlerts";
import { LiveTimeline } from "./LiveTimeline";
import { People } from "./People";
import { RootCause } from "./RootCause";
import { Runbooks } from "./Runbooks";
import { StatusControls } from "./StatusControls";

/** /incidents/<id>: the war room. */
export function IncidentDetail() {
  const incidentId = Number(useParams().incidentId);
  const search = keepTimeRange(useLocation().search);
  const me = useMe().data;
  const canRespond = can(me, "respond");
  const [deleted, setDeleted] = useState(false);
  const incident = useQuery({
    queryKey: keys.detail(incidentId),
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}", { params: { path: { incident_id: incidentId } }, signal })),
    enabled: Number.isInteger(incidentId) && incidentId > 0,
  });
  usePageTitle(incident.data ? `#${incident.data.id} ${incident.data.title}` : "Incident");

  const crumbs = (
    <p className="crumbs">
      <Link to={{ pathname: "/incidents", search }}>Incidents</Link> › #{Number.isInteger(incidentId) ? incidentId : "?"}
    </p>
  );
  if (!Number.isInteger(incidentId) || incidentId <= 0 || (incident.error instanceof ApiError && incident.error.status === 404) || deleted) {
    return (
      <div className="incidents">
        {crumbs}
        <h1>Incident not found</h1>
        <EmptyState title={deleted ? "This incident was just deleted." : "There is no incident with this id."}>
          <p>
            <Link to={{ pathname: "/incidents", search }}>See all incidents</Link>.
          </p>
        </EmptyState>
      </div>
    );
  }
  if (incident.isPending) return <Loading label="Loading the incident" />;
  if (incident.isError) return <ErrorBanner error={incident.error} what="the incident" onRetry={() => incident.refetch()} />;
  const i = incident.data;

  return (
    <div className="incidents incident-detail">
      {crumbs}
      <div className="page-head">
        <h1>{i.title}</h1>
        <Link className="button-link" to={{ pathname: `/incidents/${i.id}/post-mortem`, search }}>
          Post-mortem
        </Link>
      </div>
      <div className="incident-summary">
        <StatusBadge status={i.status} />
        <SeverityBadge severity={i.severity} />
        {i.priority && <span className="badge">{i.priority}</span>}
        <span className="muted">#{i.id}</span>
        <span>
          started <time dateTime={i.started_at} title={formatTime(i.started_at)}>{formatRelative(i.started_at)}</time>
        </span>
        <span>{i.resolved_at ? `resolved after ${formatDuration((Date.parse(i.resolved_at) - Date.parse(i.started_at)) / 1000)}` : `open for ${formatDuration((Date.now() - Date.parse(i.started_at)) / 1000)}`}</span>
        {i.affected_services.length > 0 && <span>services: {i.affected_services.join(", ")}</span>}
        {i.chat_url && /^https?:\/\//.test(i.chat_url) && (
          <a href={i.chat_url} target="_blank" rel="noopener noreferrer">
            chat
          </a>
        )}
        {i.merged_into_id && <Link to={{ pathname: `/incidents/${i.merged_into_id}`, search }}>merged into #{i.merged_into_id}</Link>}
      </div>
      {i.description && <p className="description">{i.description}</p>}
      <p className="muted small">{i.creation_reason ? `Opened by ${i.created_by}: ${i.creation_reason}` : `Opened by ${i.created_by}`}</p>

      <section className="panel" aria-labelledby="status-title">
        <header className="panel-head">
          <h2 id="status-title">Status</h2>
          <SeverityControl incident={i} canRespond={canRespond} />
        </header>
        <StatusControls incident={i} canRespond={canRespond} />
        <ResponseTimes incident={i} />
      </section>

      <div className="detail-grid">
        <div className="detail-main">
          <LiveTimeline incidentId={i.id} canRespond={canRespond} onDeleted={() => setDeleted(true)} />
          <RootCause incident={i} canRespond={canRespond} />
          <Runbooks incidentId={i.id} canRespond={canRespond} />
        </div>
        <div className="detail-side">
          <People incident={i} canRespond={canRespond} />
          <LinkedAlerts incident={i} canRespond={canRespond} />
          <ActionItems incidentId={i.id} canRespond={canRespond} />
        </div>
      </div>
    </div>
  );
}

function ResponseTimes({ incident: i }: { incident: Incident }) {
  const since = (at: string | null) => (at ? formatDuration((Date.parse(at) - Date.parse(i.started_at)) / 1000) : "–");
  return (
    <dl className="facts inline-facts small">
      <dt>Acknowledged</dt>
      <dd>{i.acknowledged_at ? `after ${since(i.acknowledged_at)}` : "not yet"}</dd>
      <dt>Identified</dt>
      <dd>{i.identified_at ? `after ${since(i.identified_at)}` : "not yet"}</dd>
      <dt>Resolved</dt>
      <dd>{i.resolved_at ? `after ${since(i.resolved_at)}` : "not yet"}</dd>
      {i.closed_at && (
        <>
          <dt>Closed</dt>
          <dd>{formatTime(i.closed_at)}</dd>
        </>
      )}
    </dl>
  );
}

function SeverityControl({ incident, canRespond }: { incident: Incident; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (severity: (typeof SEVERITIES)[number]) =>
      call(api.PATCH("/api/incidents/{incident_id}", { params: { path: { incident_id: incident.id } }, body: { severity } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.detail(incident.id), updated);
      void refreshIncident(queryClient, incident.id);
    },
  });
  if (!canRespond) return null;
  return (
    <label className="small">
      Severity{" "}
      <select
        value={incident.severity}
        disabled={change.isPending}
        onChange={(e) => change.mutate(e.target.value as (typeof SEVERITIES)[number])}
        aria-label="Severity"
      >
        {SEVERITIES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      {change.isError && <span className="field-error"> {change.error.message}</span>}
    </label>
  );
}
