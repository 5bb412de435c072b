import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, call } from "../../api/client";
import { useMe } from "../../auth/useMe";
import { ErrorBanner } from "../../components/ErrorBanner";
import { refreshIncident, ROLES, type Incident } from "./common";

type Role = (typeof ROLES)[number];

/** Commander and participants with their roles; responders assign and remove. */
export function People({ incident, canRespond }: { incident: Incident; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const me = useMe().data;
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("responder");
  const users = useQuery({
    queryKey: ["incidents", "people"],
    queryFn: ({ signal }) => call(api.GET("/api/users", { params: { query: { limit: 500 } }, signal })),
    enabled: canRespond,
    staleTime: 5 * 60_000,
  });
  const assign = useMutation({
    mutationFn: (body: { name: string; role: Role; remove?: boolean }) =>
      call(api.POST("/api/incidents/{incident_id}/assign", { params: { path: { incident_id: incident.id } }, body: { remove: false, ...body } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(["incidents", "detail", incident.id], updated);
      void refreshIncident(queryClient, incident.id);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    assign.mutate({ name: name.trim(), role }, { onSuccess: () => setName("") });
  };
  const others = incident.participants.filter((p) => !(p.role === "commander" && p.name === incident.commander));

  return (
    <section className="panel" aria-labelledby="people-title">
      <header className="panel-head">
        <h2 id="people-title">People</h2>
      </header>
      <dl className="facts">
        <dt>Commander</dt>
        <dd>
          {incident.commander ?? <span className="muted">none yet</span>}
          {canRespond && me && incident.commander !== me.name && (
            <button type="button" className="link-button" onClick={() => assign.mutate({ name: me.name, role: "commander" })} disabled={assign.isPending}>
              Take command
            </button>
          )}
        </dd>
      </dl>
      {others.length > 0 && (
        <ul className="item-list" aria-label="Participants">
          {others.map((p) => (
            <li key={`${p.name}:${p.role}`} className="participant">
              <span>
                <strong>{p.name}</strong> <span className="badge">{p.role}</span>
              </span>
              {canRespond && (
                <button type="button" className="link-button" aria-label={`Remove ${p.name} as ${p.role}`} onClick={() => assign.mutate({ name: p.name, role: p.role as Role, remove: true })}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canRespond && (
        <form className="inline-form" onSubmit={submit} aria-label="Assign a role">
          <label>
            <span className="visually-hidden">Person</span>
            <input list={`people-${incident.id}`} value={name} onChange={(e) => setName(e.target.value)} placeholder="name or email" aria-label="Person" maxLength={200} />
          </label>
          <datalist id={`people-${incident.id}`}>
            {users.data?.items.map((u) => (
              <option key={u.id} value={u.email}>
                {u.name}
              </option>
            ))}
          </datalist>
          <label>
            <span className="visually-hidden">Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Role">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={assign.isPending || !name.trim()}>
            Assign
          </button>
        </form>
      )}
      {assign.isError && <ErrorBanner error={assign.error} title="The assignment did not change" />}
    </section>
  );
}
