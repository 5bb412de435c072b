import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { FilterSelect } from "../../components/FilterSelect";
import { can, useMe } from "../../auth/useMe";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { SendAlert } from "../overview/HowToSend";
import { SEVERITIES } from "./format";
import { AlertGroupCard } from "./AlertGroupCard";
import { namesOf, usePolicies, useRoutes, useTeams } from "./lookups";
import { matchersFromLabels } from "./matchers";
import { SilenceCreated } from "./SilenceCreated";
import { SilenceForm } from "./SilenceForm";

type Alert = Schemas["AlertOut"];
type Silence = Schemas["SilenceOut"];

export const REFRESH_MS = 15_000;
const STATES = ["firing", "acknowledged", "silenced"] as const;

/** Does an alert pass the page's filters (severity, state, free text over name, title and labels)? */
export function alertShown(alert: Alert, severity: string, state: string, text: string): boolean {
  if (severity && alert.severity !== severity) return false;
  if (state && alert.status !== state) return false;
  if (!text) return true;
  const needle = text.toLowerCase();
  return [alert.alert_name, alert.title, alert.service, ...Object.entries(alert.labels).map(([k, v]) => `${k}=${v}`)]
    .some((s) => s.toLowerCase().includes(needle));
}

/** The open alerts grouped as they page, with acknowledge / resolve / silence. */
export function ActiveAlerts() {
  const [params, setParams] = useSearchParams();
  const severity = params.get("severity") ?? "";
  const state = params.get("state") ?? "";
  const text = params.get("q") ?? "";
  const setParam = (name: string, value: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    }, { replace: true });

  const me = useMe().data;
  const canRespond = can(me, "respond");
  const grouped = useQuery({
    queryKey: ["alerts", "grouped"],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/grouped", { signal })),
    refetchInterval: REFRESH_MS,
  });
  const escalations = useQuery({
    queryKey: ["alerts", "escalations"],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/escalations", { params: { query: { limit: 200 } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const routes = namesOf(useRoutes().data?.items);
  const teams = namesOf(useTeams().data?.items);
  const policies = namesOf(usePolicies().data?.items);
  const [silencing, setSilencing] = useState<Alert | null>(null);
  const [created, setCreated] = useState<Silence | null>(null);

  if (grouped.isPending) return <Loading label="Loading alerts" />;
  if (grouped.isError) return <ErrorBanner error={grouped.error} what="alerts" onRetry={() => grouped.refetch()} />;

  const { groups, ungrouped } = grouped.data;
  const all = new Map<number, Alert>();
  for (const g of groups) for (const a of g.alerts) all.set(a.id, a);
  for (const a of ungrouped) all.set(a.id, a);
  const openAlerts = [...all.values()];
  const counts = Object.fromEntries(STATES.map((s) => [s, openAlerts.filter((a) => a.status === s).length]));
  const latestEscalation = new Map<number, Schemas["EscalationOut"]>();
  for (const e of escalations.data?.items ?? []) if (!latestEscalation.has(e.group_id)) latestEscalation.set(e.group_id, e);

  const shown = (a: Alert) => alertShown(a, severity, state, text);
  const visibleGroups = groups
    .map((g) => ({ ...g, shownAlerts: g.alerts.filter(shown) }))
    .filter((g) => g.shownAlerts.length > 0);
  const visibleUngrouped = ungrouped.filter(shown);
  const filtered = severity || state || text;

  return (
    <>
      <div className="alerts-toolbar">
        <p className="alerts-summary" aria-live="polite">
          <strong>{openAlerts.length}</strong> open alerts in <strong>{groups.length}</strong> groups:{" "}
          {STATES.map((s, i) => (
            <span key={s}>
              {i > 0 && ", "}
              <span className={`status-${s}`}>{counts[s]} {s}</span>
            </span>
          ))}
        </p>
        <div className="filters" role="search" aria-label="Filter alerts">
          <FilterSelect label="Severity" value={severity} options={SEVERITIES} onChange={(v) => setParam("severity", v)} />
          <FilterSelect label="State" value={state} options={STATES} onChange={(v) => setParam("state", v)} />
          <label>
            Search{" "}
            <input type="search" value={text} placeholder="name, title or label=value" onChange={(e) => setParam("q", e.target.value)} />
          </label>
        </div>
      </div>
      {created && <SilenceCreated silence={created} onDismiss={() => setCreated(null)} />}
      {openAlerts.length === 0 ? (
        <EmptyState title="No open alerts — nothing is paging">
          <SendAlert />
        </EmptyState>
      ) : visibleGroups.length === 0 && visibleUngrouped.length === 0 ? (
        <EmptyState title="No open alert matches these filters">
          <p>
            <button type="button" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
              Clear the filters
            </button>
          </p>
        </EmptyState>
      ) : (
        <div className="alert-groups">
          {visibleGroups.map((g) => (
            <AlertGroupCard
              key={g.group.id}
              group={g.group}
              alerts={g.shownAlerts}
              hidden={g.alerts.length - g.shownAlerts.length}
              routeName={g.group.route_id === null ? null : (routes.get(g.group.route_id) ?? `route ${g.group.route_id}`)}
              teamName={g.group.team_id === null ? null : (teams.get(g.group.team_id) ?? `team ${g.group.team_id}`)}
              policyName={
                g.group.escalation_policy_id === null
                  ? null
                  : (policies.get(g.group.escalation_policy_id) ?? `policy ${g.group.escalation_policy_id}`)
              }
              escalation={latestEscalation.get(g.group.id) ?? null}
              canRespond={canRespond}
              onSilence={setSilencing}
            />
          ))}
          {visibleUngrouped.length > 0 && (
            <AlertGroupCard
              group={null}
              alerts={visibleUngrouped}
              hidden={0}
              routeName={null}
              teamName={null}
              policyName={null}
              escalation={null}
              canRespond={canRespond}
              onSilence={setSilencing}
            />
          )}
        </div>
      )}
      {filtered && <p className="muted small">Filtered: some alerts are hidden.</p>}
      {silencing && (
        <SilenceForm
          title={`Silence ${silencing.alert_name}`}
          initial={matchersFromLabels(silencing.labels)}
          openAlerts={openAlerts}
          onClose={() => setSilencing(null)}
          onCreated={(silence) => {
            setSilencing(null);
            setCreated(silence);
          }}
        />
      )}
    </>
  );
}
