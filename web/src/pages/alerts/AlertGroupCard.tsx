import { useState } from "react";
import { Link, useLocation } from "react-router";
import type { Schemas } from "../../api/client";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { formatRelative, formatTime } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import { formatDuration, formatValue } from "./format";
import { LabelChips } from "./LabelChips";
import { sortedLabelNames } from "./matchers";
import { useAlertAction, useGroupAction } from "./useAlertActions";

type Alert = Schemas["AlertOut"];
type Group = Schemas["AlertGroupOut"];
type Escalation = Schemas["EscalationOut"];

export interface AlertGroupCardProps {
  /** null: the open alerts that are in no group yet. */
  group: Group | null;
  alerts: Alert[];
  /** Alerts of the group the filters hide. */
  hidden: number;
  routeName: string | null;
  teamName: string | null;
  policyName: string | null;
  escalation: Escalation | null;
  canRespond: boolean;
  onSilence: (alert: Alert) => void;
}

function labelText(labels: Record<string, string>): string {
  return sortedLabelNames(labels).map((k) => `${k}=${labels[k]}`).join(" ") || "(all alerts)";
}

/** What the group's notification timers say now. */
export function groupTimers(group: Group, now = Date.now()): string {
  const next = Date.parse(group.next_flush_at);
  const parts = [
    `waits ${formatDuration(group.group_wait_s)}, then every ${formatDuration(group.group_interval_s)}`,
    `repeats every ${formatDuration(group.repeat_interval_s)}`,
  ];
  if (group.last_notified_at) parts.push(`last notified ${formatRelative(group.last_notified_at, now)}`);
  else parts.push(next > now ? `first notification ${formatRelative(next, now)}` : "not notified yet");
  return parts.join(" · ");
}

/** Where the group's escalation stands: "paging: step 2 of 3, next step in 8 min". */
export function escalationState(e: Escalation, now = Date.now()): string {
  const steps = e.chain.length;
  if (e.status === "active") {
    const next = e.next_step_at ? `, next step ${formatRelative(e.next_step_at, now)}` : "";
    return `paging: step ${Math.min(e.step_index + 1, steps)} of ${steps}${next}`;
  }
  const by = e.stopped_by ? ` by ${e.stopped_by}` : "";
  return `escalation ${e.status.replace(/_/g, " ")}${by}${e.stop_reason ? ` (${e.stop_reason})` : ""}`;
}

export function AlertGroupCard(props: AlertGroupCardProps) {
  const { group, alerts, hidden, routeName, teamName, policyName, escalation, canRespond, onSilence } = props;
  const titleId = group ? `group-${group.id}` : "group-none";
  const groupLabels = group?.labels ?? {};
  return (
    <section className="panel alert-group" aria-labelledby={titleId}>
      <header className="alert-group-head">
        <h2 id={titleId} aria-label={group ? `Group ${labelText(groupLabels)}` : undefined}>
          {group ? <LabelChips labels={groupLabels} /> : "Not grouped yet"}
        </h2>
        <p className="group-meta">
          {group && (
            <>
              <span title="Receiver">→ {group.receiver}</span>
              <span>{routeName ? `route “${routeName}”` : "default route"}</span>
              {teamName && <span>team {teamName}</span>}
              {policyName && <span>policy {policyName}</span>}
              <StatusBadge status={group.status} />
              <span>
                {group.alert_count} alert{group.alert_count === 1 ? "" : "s"}
                {hidden > 0 && ` (${hidden} hidden by filters)`}
              </span>
            </>
          )}
        </p>
        {group && canRespond && <GroupActions group={group} alerts={alerts} />}
        {group && (
          <p className="group-timers muted small">
            {groupTimers(group)}
            {escalation && <> · <strong>{escalationState(escalation)}</strong></>}
            {group.channels.length > 0 && <> · channels {group.channels.join(", ")}</>}
            {group.reason && <> · grouped by {group.reason.replace(/^group_by /, "")}</>}
          </p>
        )}
      </header>
      <table className="data alert-table">
        <caption className="visually-hidden">Alerts{group ? ` of group ${group.id}` : " in no group"}</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Alert</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Last seen</th>
            <th scope="col">Value</th>
            <th scope="col" className="num">Count</th>
            {canRespond && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <AlertRow key={alert.id} alert={alert} groupLabels={groupLabels} canRespond={canRespond} onSilence={onSilence} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Acknowledge or resolve the whole group (every open alert in it), as a page's buttons do. */
function GroupActions({ group, alerts }: { group: Group; alerts: Alert[] }) {
  const acknowledge = useGroupAction("acknowledge");
  const resolve = useGroupAction("resolve");
  const [confirming, setConfirming] = useState(false);
  const firing = alerts.filter((a) => a.status === "firing").length;
  const error = acknowledge.error ?? resolve.error;
  const what = `group ${labelText(group.labels)}`;
  return (
    <div className="group-actions">
      {firing > 0 && (
        <button type="button" disabled={acknowledge.isPending} aria-label={`Acknowledge ${what}`} onClick={() => acknowledge.mutate(group.id)}>
          Acknowledge group
        </button>
      )}
      {confirming ? (
        <>
          <button type="button" className="danger" disabled={resolve.isPending} onClick={() => resolve.mutate(group.id, { onSettled: () => setConfirming(false) })}>
            Resolve all {group.alert_count} alerts
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </>
      ) : (
        <button type="button" aria-label={`Resolve ${what}`} onClick={() => setConfirming(true)}>
          Resolve group…
        </button>
      )}
      {error && (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      )}
    </div>
  );
}

function AlertRow({
  alert,
  groupLabels,
  canRespond,
  onSilence,
}: {
  alert: Alert;
  groupLabels: Record<string, string>;
  canRespond: boolean;
  onSilence: (alert: Alert) => void;
}) {
  const search = keepTimeRange(useLocation().search);
  const acknowledge = useAlertAction("acknowledge");
  const resolve = useAlertAction("resolve");
  const own = Object.fromEntries(
    Object.entries(alert.labels).filter(([k, v]) => k !== "alertname" && groupLabels[k] !== v),
  );
  const error = acknowledge.error ?? resolve.error;
  return (
    <tr data-alert-id={alert.id}>
      <td>
        <SeverityBadge severity={alert.severity} />
      </td>
      <th scope="row">
        <Link to={{ pathname: `/alerts/${alert.id}`, search }} className="item-title">
          {alert.title || alert.alert_name}
        </Link>
        {alert.title && alert.title !== alert.alert_name && <span className="muted small"> {alert.alert_name}</span>}
        <LabelChips labels={own} />
        {error && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
      </th>
      <td>
        <StatusBadge status={alert.status} />
        {alert.acknowledged_by && alert.status === "acknowledged" && (
          <div className="muted small">by {alert.acknowledged_by}</div>
        )}
        {alert.muted_by && <div className="muted small">{alert.muted_by}</div>}
      </td>
      <td>
        <time dateTime={alert.starts_at} title={formatTime(alert.starts_at)}>
          {formatRelative(alert.starts_at)}
        </time>
      </td>
      <td>
        <time dateTime={alert.last_seen_at} title={formatTime(alert.last_seen_at)}>
          {formatRelative(alert.last_seen_at)}
        </time>
      </td>
      <td>{formatValue(alert.current_value, alert.threshold_value)}</td>
      <td className="num">{alert.count}</td>
      {canRespond && (
        <td className="row-actions">
          {alert.status === "firing" && (
            <button
              type="button"
              disabled={acknowledge.isPending}
              aria-label={`Acknowledge ${alert.alert_name}`}
              onClick={() => acknowledge.mutate(alert.id)}
            >
              Acknowledge
            </button>
          )}
          <button type="button" disabled={resolve.isPending} aria-label={`Resolve ${alert.alert_name}`} onClick={() => resolve.mutate(alert.id)}>
            Resolve
          </button>
          <button type="button" aria-label={`Silence ${alert.alert_name}`} onClick={() => onSilence(alert)}>
            Silence…
          </button>
        </td>
      )}
    </tr>
  );
}
