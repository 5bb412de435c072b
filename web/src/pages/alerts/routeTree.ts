// The routing tree as the API stores it (flat rows, parent_id null = under the default
// route), assembled for display with each setting's effective value and whether it is
// inherited. Mirrors alerting/routing.py's build_tree. Pure.
import type { Schemas } from "../../api/client";

export type RouteRow = Schemas["RouteOut"];

/** The default route's settings (alerting/routing.py DEFAULT_ROOT). */
export const DEFAULT_ROUTE = {
  receiver: "default",
  team_id: null as number | null,
  escalation_policy_id: null as number | null,
  channels: [] as string[],
  group_by: ["alertname", "service"],
  group_wait_s: 30,
  group_interval_s: 300,
  repeat_interval_s: 14_400,
};

export type Settings = typeof DEFAULT_ROUTE;
export const INHERITED_FIELDS = Object.keys(DEFAULT_ROUTE) as (keyof Settings)[];

export interface RouteNode {
  route: RouteRow;
  depth: number;
  effective: Settings;
  /** Settings this route leaves unset, taking its parent's. */
  inherited: Set<keyof Settings>;
  children: RouteNode[];
}

export function buildRouteTree(rows: RouteRow[]): RouteNode[] {
  const byParent = new Map<number | null, RouteRow[]>();
  for (const row of rows) byParent.set(row.parent_id ?? null, [...(byParent.get(row.parent_id ?? null) ?? []), row]);
  const attach = (parentId: number | null, parent: Settings, depth: number, seen: Set<number>): RouteNode[] =>
    (byParent.get(parentId) ?? [])
      .slice()
      .sort((a, b) => a.position - b.position || a.id - b.id)
      .filter((row) => !seen.has(row.id))
      .map((route) => {
        const inherited = new Set<keyof Settings>();
        const effective = { ...parent };
        for (const field of INHERITED_FIELDS) {
          const own = route[field];
          if (own === null || own === undefined) inherited.add(field);
          else (effective as Record<string, unknown>)[field] = own;
        }
        return { route, depth, effective, inherited, children: attach(route.id, effective, depth + 1, new Set([...seen, route.id])) };
      });
  return attach(null, DEFAULT_ROUTE, 1, new Set());
}

/** Every node, depth first (the order alerts walk the tree in). */
export function flatten(nodes: RouteNode[]): RouteNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

/** Ids of a route and everything under it (not allowed as its new parent). */
export function subtreeIds(rows: RouteRow[], id: number): Set<number> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (row.parent_id !== null && row.parent_id !== undefined && out.has(row.parent_id) && !out.has(row.id)) {
        out.add(row.id);
        grew = true;
      }
    }
  }
  return out;
}
