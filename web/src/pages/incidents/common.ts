// Shapes, query keys and small helpers shared by the incident pages.
import type { QueryClient } from "@tanstack/react-query";
import type { Schemas } from "../../api/client";

export type Incident = Schemas["IncidentOut"];
export type IncidentStatus = Incident["status"];

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export const STATUSES: IncidentStatus[] = ["triggered", "acknowledged", "investigating", "identified", "monitoring", "resolved", "closed"];
export const OPEN_STATUSES: IncidentStatus[] = STATUSES.filter((s) => s !== "resolved" && s !== "closed");
export const ROLES = ["commander", "communications", "scribe", "responder"] as const;

export const keys = {
  all: ["incidents"] as const,
  detail: (id: number) => ["incidents", "detail", id] as const,
  timeline: (id: number) => ["incidents", "timeline", id] as const,
  suggestions: (id: number) => ["incidents", "suggestions", id] as const,
  postMortem: (id: number) => ["incidents", "post-mortem", id] as const,
};

/** After a change to incident `id`: its detail queries (not the streamed timeline, not
 * the suggestions, which are costly and do not depend on it) and every list. */
export function refreshIncident(queryClient: QueryClient, id: number): Promise<void> {
  return queryClient.invalidateQueries({
    predicate: (query) => {
      const [area, kind, which] = query.queryKey as [string, string, unknown];
      if (area !== "incidents") return false;
      if (kind === "detail" || kind === "post-mortem") return which === id;
      return kind !== "timeline" && kind !== "suggestions";
    },
  });
}

/** "4m 12s", "2h 5m", "3d 4h"; "–" for none. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** The button label for moving to `status` from `current`. */
export function transitionLabel(status: IncidentStatus, current: IncidentStatus): string {
  if (status === "investigating" && (current === "resolved" || current === "closed")) return "Reopen";
  return (
    {
      triggered: "Triggered",
      acknowledged: "Acknowledge",
      investigating: "Investigating",
      identified: "Identified",
      monitoring: "Monitoring",
      resolved: "Resolve",
      closed: "Close",
    } satisfies Record<IncidentStatus, string>
  )[status];
}
