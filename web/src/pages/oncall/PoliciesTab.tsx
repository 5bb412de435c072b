import { useQuery } from "@tanstack/react-query";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative } from "../../components/format";
import { Loading } from "../../components/Loading";
import { formatDuration } from "../alerts/format";
import { namesOf, usePolicies, useRoutes, useSchedules, useTeams, useUsers } from "../alerts/lookups";

type Step = Schemas["EscalationPolicyOut"]["steps"][number];

/** One step in words: "Notify the on-call of Shop primary", "Wait 10 min". */
export function describeStep(step: Step, names: { users: Map<number, string>; schedules: Map<number, string>; teams: Map<number, string>; policies: Map<number, string> }): string {
  const list = (ids: number[], map: Map<number, string>, what: string) => ids.map((id) => map.get(id) ?? `${what} ${id}`).join(", ");
  switch (step.kind) {
    case "notify_users":
      return `Notify ${list(step.targets, names.users, "user")}`;
    case "notify_schedule":
      return `Notify whoever is on call in ${list(step.targets, names.schedules, "schedule")}`;
    case "notify_team":
      return `Notify every member of team ${list(step.targets, names.teams, "team")}`;
    case "wait":
      return `Wait ${formatDuration(step.wait_minutes * 60)}`;
    case "escalate_to":
      return `Escalate to policy ${list(step.targets, names.policies, "policy")}`;
    default:
      return step.kind;
  }
}

/** Escalation policies: their steps, waits and repeats, the routes that use them, what is paging now. */
export function PoliciesTab() {
  const policies = usePolicies();
  const names = {
    users: namesOf(useUsers().data?.items),
    schedules: namesOf(useSchedules().data?.items),
    teams: namesOf(useTeams().data?.items),
    policies: namesOf(policies.data?.items),
  };
  const routes = useRoutes().data?.items ?? [];
  const active = useQuery({
    queryKey: ["oncall", "escalations", "active"],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/escalations", { params: { query: { status: "active", limit: 200 } }, signal })),
    refetchInterval: 30_000,
  });

  if (policies.isPending) return <Loading label="Loading escalation policies" />;
  if (policies.isError) return <ErrorBanner error={policies.error} what="escalation policies" onRetry={() => policies.refetch()} />;
  if (policies.data.items.length === 0)
    return (
      <EmptyState title="No escalation policies yet">
        <p>
          A policy says who is paged, in which order and after how long: create one with <code>POST /api/oncall/escalation-policies</code>{" "}
          and name it on an alert route (Alerts → Routing).
        </p>
      </EmptyState>
    );
  return (
    <div className="policy-list">
      {policies.data.items.map((p) => {
        const usedBy = routes.filter((r) => r.escalation_policy_id === p.id);
        const running = (active.data?.items ?? []).filter((e) => e.policy_id === p.id);
        return (
          <section key={p.id} className="panel" aria-labelledby={`policy-${p.id}`}>
            <h2 id={`policy-${p.id}`}>{p.name}</h2>
            <p className="group-meta">
              {p.team_id !== null && <span>team {names.teams.get(p.team_id) ?? p.team_id}</span>}
              <span>{p.repeat === 0 ? "runs once" : `repeats ${p.repeat} more time${p.repeat === 1 ? "" : "s"}`}</span>
              <span>{usedBy.length ? `used by route${usedBy.length === 1 ? "" : "s"} ${usedBy.map((r) => `“${r.name}”`).join(", ")}` : "no route uses it"}</span>
            </p>
            {p.description && <p className="muted">{p.description}</p>}
            <ol className="steps" aria-label={`Steps of ${p.name}`}>
              {p.steps.map((s, i) => (
                <li key={i} className={`step step-${s.kind}`}>
                  {describeStep(s, names)}
                </li>
              ))}
            </ol>
            {running.length > 0 && (
              <p className="notice">
                Paging now:{" "}
                {running
                  .map((e) => `alert group ${e.group_id}, step ${Math.min(e.step_index + 1, e.chain.length)} of ${e.chain.length}${e.next_step_at ? `, next ${formatRelative(e.next_step_at)}` : ""}`)
                  .join("; ")}
              </p>
            )}
          </section>
        );
      })}
    </div>
  );
}
