import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { api, call } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { formatDuration } from "./format";
import { namesOf, usePolicies, useRoutes, useTeams } from "./lookups";
import { RouteForm } from "./RouteForm";
import { DEFAULT_ROUTE, buildRouteTree, flatten, type RouteNode, type RouteRow, type Settings } from "./routeTree";

/** The routing tree: matchers, continue, receiver, team, policy, channels, grouping and timers. */
export function RoutesTab() {
  const canWrite = can(useMe().data, "write");
  const routes = useRoutes();
  const teams = namesOf(useTeams().data?.items);
  const policies = namesOf(usePolicies().data?.items);
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<RouteRow | "new" | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) => call(api.DELETE("/api/alerting/routes/{route_id}", { params: { path: { route_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts", "routes"] }),
  });

  if (routes.isPending) return <Loading label="Loading routes" />;
  if (routes.isError) return <ErrorBanner error={routes.error} what="routes" onRetry={() => routes.refetch()} />;
  const rows = routes.data.items;
  const nodes = flatten(buildRouteTree(rows));
  const name = (field: keyof Settings, value: unknown): string => {
    if (field === "team_id") return value === null ? "none" : (teams.get(value as number) ?? `team ${value}`);
    if (field === "escalation_policy_id") return value === null ? "none" : (policies.get(value as number) ?? `policy ${value}`);
    if (field === "channels") return (value as string[]).length ? (value as string[]).join(", ") : "none";
    if (field === "group_by") return (value as string[]).join(", ") || "(everything in one group)";
    if (field.endsWith("_s")) return formatDuration(value as number);
    return String(value);
  };

  return (
    <section aria-labelledby="routes-title">
      <div className="panel-head">
        <h2 id="routes-title">Routing tree</h2>
        {canWrite && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            New route
          </button>
        )}
      </div>
      <p className="muted">
        An alert walks the routes top to bottom and takes the first that matches (its children first); with{" "}
        <em>continue</em> it also tries the next ones. Unset settings are inherited from the parent (shown in grey).
      </p>
      {remove.isError && <ErrorBanner error={remove.error} title="The route was not deleted" />}
      <ul className="route-tree" aria-label="Routes">
        <li className="route-node" style={{ marginLeft: 0 }}>
          <RouteCard
            title="Default route"
            matchers={[]}
            continueMatching={false}
            settings={DEFAULT_ROUTE}
            inherited={new Set()}
            name={name}
            note="Matches every alert no other route takes."
          />
        </li>
        {nodes.map((node) => (
          <li key={node.route.id} className="route-node" style={{ marginLeft: `${node.depth * 1.5}rem` }}>
            <RouteCard
              title={node.route.name}
              matchers={node.route.matchers ?? []}
              continueMatching={node.route.continue_matching}
              settings={node.effective}
              inherited={node.inherited}
              name={name}
              actions={
                canWrite && (
                  <>
                    <button type="button" aria-label={`Edit route ${node.route.name}`} onClick={() => setEditing(node.route)}>
                      Edit
                    </button>
                    {confirming === node.route.id ? (
                      <>
                        <button
                          type="button"
                          className="danger"
                          disabled={remove.isPending}
                          onClick={() => remove.mutate(node.route.id, { onSettled: () => setConfirming(null) })}
                        >
                          {deleteLabel(node)}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" aria-label={`Delete route ${node.route.name}`} onClick={() => setConfirming(node.route.id)}>
                        Delete
                      </button>
                    )}
                  </>
                )
              }
            />
          </li>
        ))}
      </ul>
      {rows.length === 0 && (
        <p className="muted">
          Only the default route exists: every alert goes to the receiver “default”, grouped by alertname and service. Add a route to
          send some alerts to a team with an escalation policy.
        </p>
      )}
      {editing && (
        <RouteForm
          route={editing === "new" ? null : editing}
          rows={rows}
          teams={asList(teams)}
          policies={asList(policies)}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  );
}

function asList(names: Map<number, string>): { id: number; name: string }[] {
  return [...names].map(([id, name]) => ({ id, name }));
}

function deleteLabel(node: RouteNode): string {
  const under = flatten(node.children).length;
  return under ? `Delete it and the ${under} route${under === 1 ? "" : "s"} under it` : "Really delete";
}

function RouteCard(props: {
  title: string;
  matchers: string[];
  continueMatching: boolean;
  settings: Settings;
  inherited: Set<keyof Settings>;
  name: (field: keyof Settings, value: unknown) => string;
  note?: string;
  actions?: ReactNode;
}) {
  const { title, matchers, continueMatching, settings, inherited, name, note, actions } = props;
  const field = (label: string, key: keyof Settings) => (
    <div className={inherited.has(key) ? "fact inherited" : "fact"}>
      <dt>{label}</dt>
      <dd title={inherited.has(key) ? "inherited from the parent route" : undefined}>{name(key, settings[key])}</dd>
    </div>
  );
  return (
    <div className="route-card">
      <div className="route-title">
        <strong>{title}</strong>
        {matchers.length > 0 ? (
          matchers.map((m) => (
            <code key={m} className="matcher">
              {m}
            </code>
          ))
        ) : (
          <span className="muted small">{note ?? "matches everything"}</span>
        )}
        {continueMatching && <span className="badge">continue</span>}
        <span className="spacer" />
        {actions}
      </div>
      <dl className="facts route-facts">
        {field("Receiver", "receiver")}
        {field("Team", "team_id")}
        {field("Escalation policy", "escalation_policy_id")}
        {field("Channels", "channels")}
        {field("Group by", "group_by")}
        {field("Group wait", "group_wait_s")}
        {field("Group interval", "group_interval_s")}
        {field("Repeat", "repeat_interval_s")}
      </dl>
    </div>
  );
}
