import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ApiError, call } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { refreshIncident, STATUSES, transitionLabel, type Incident, type IncidentStatus } from "./common";

/** The moves the server allows from where the incident is now, and nothing else. A 409
 * (someone moved it meanwhile) carries the moves allowed now: they replace the buttons
 * at once, while the incident is fetched again. */
export function StatusControls({ incident, canRespond }: { incident: Incident; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const [message, setMessage] = useState("");
  const [fromConflict, setFromConflict] = useState<{ for: string; current: IncidentStatus; allowed: IncidentStatus[] } | null>(null);
  const stamp = `${incident.id}:${incident.status}:${incident.updated_at}`;
  const conflict = fromConflict?.for === stamp ? fromConflict : null;
  const current = conflict?.current ?? incident.status;
  const allowed = conflict?.allowed ?? incident.allowed_transitions;

  const move = useMutation({
    mutationFn: (status: IncidentStatus) =>
      call(api.POST("/api/incidents/{incident_id}/status", { params: { path: { incident_id: incident.id } }, body: { status, message: message.trim() } })),
    onSuccess: (updated) => {
      setMessage("");
      setFromConflict(null);
      queryClient.setQueryData(["incidents", "detail", incident.id], updated);
      void refreshIncident(queryClient, incident.id);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409) {
        const problem = error.problem as { current?: string; allowed?: string[] };
        const known = (s: unknown): s is IncidentStatus => typeof s === "string" && (STATUSES as string[]).includes(s);
        if (Array.isArray(problem.allowed) && known(problem.current)) {
          setFromConflict({ for: stamp, current: problem.current, allowed: problem.allowed.filter(known) });
        }
        void refreshIncident(queryClient, incident.id);
      }
    },
  });

  if (!canRespond) {
    return <p className="muted small">Responders can move the incident along ({allowed.join(", ") || "closed is final"}).</p>;
  }
  return (
    <div className="status-controls" role="group" aria-label="Change status">
      {allowed.length === 0 ? (
        <p className="muted small">Closed is final: the post-mortem is done.</p>
      ) : (
        <>
          <label className="grow">
            <span className="visually-hidden">Status message</span>
            <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder="Optional note with the change" aria-label="Status message" maxLength={5000} />
          </label>
          <div className="button-row">
            {allowed.map((status) => (
              <button
                key={status}
                type="button"
                className={status === "resolved" ? "primary" : undefined}
                disabled={move.isPending}
                onClick={() => move.mutate(status)}
              >
                {transitionLabel(status, current)}
              </button>
            ))}
          </div>
        </>
      )}
      {move.isError && <ErrorBanner error={move.error} title="The status did not change" />}
    </div>
  );
}
