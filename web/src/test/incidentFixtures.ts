// Incident API answers for the incident page tests.
import type { Incident } from "../pages/incidents/common";

/** An IncidentOut as the API answers, investigating by default. */
export function incident(extra: Partial<Incident> = {}): Incident {
  return {
    id: 5,
    title: "Checkout failing",
    description: "",
    status: "investigating",
    severity: "high",
    priority: null,
    affected_services: ["checkout"],
    commander: null,
    team_id: null,
    participants: [],
    source: "manual",
    creation_reason: "",
    chat_url: null,
    root_cause: null,
    merged_into_id: null,
    allowed_transitions: ["identified", "monitoring", "resolved"],
    alert_ids: [],
    started_at: "2025-01-01T10:00:00Z",
    acknowledged_at: "2025-01-01T10:02:00Z",
    identified_at: null,
    resolved_at: null,
    closed_at: null,
    created_by: "admin@example.com",
    created_at: "2025-01-01T10:00:00Z",
    updated_at: "2025-01-01T10:02:00Z",
    ...extra,
  };
}
