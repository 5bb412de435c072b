import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, call } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { refreshIncident } from "./common";

type Status = "open" | "in_progress" | "done";

/** Follow-ups of the incident: add them, mark them done (or open again). */
export function ActionItems({ incidentId, canRespond }: { incidentId: number; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState("");
  const [owner, setOwner] = useState("");
  const [due, setDue] = useState("");
  const items = useQuery({
    queryKey: ["incidents", "detail", incidentId, "action-items"],
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}/action-items", { params: { path: { incident_id: incidentId } }, signal })),
  });
  const add = useMutation({
    mutationFn: () =>
      call(
        api.POST("/api/incidents/{incident_id}/action-items", {
          params: { path: { incident_id: incidentId } },
          body: { title: title.trim(), owner: owner.trim() || null, due_at: due ? new Date(`${due}T23:59:59`).toISOString() : null },
        }),
      ),
    onSuccess: () => {
      setTitle("");
      setOwner("");
      setDue("");
      void refreshIncident(queryClient, incidentId);
    },
  });
  const update = useMutation({
    mutationFn: ({ itemId, status }: { itemId: number; status: Status }) =>
      call(api.PATCH("/api/incidents/{incident_id}/action-items/{item_id}", { params: { path: { incident_id: incidentId, item_id: itemId } }, body: { status } })),
    // Wait for the lists to reload, so the box does not flip back in between.
    onSettled: () => refreshIncident(queryClient, incidentId),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim()) add.mutate();
  };
  return (
    <section className="panel" aria-labelledby="action-items-title">
      <header className="panel-head">
        <h2 id="action-items-title">Action items</h2>
      </header>
      {items.isPending ? (
        <Loading label="Loading action items" />
      ) : items.isError ? (
        <ErrorBanner error={items.error} what="action items" onRetry={() => items.refetch()} />
      ) : items.data.length === 0 ? (
        <p className="muted small">None yet: what would stop this from happening again?</p>
      ) : (
        <ul className="item-list action-items">
          {items.data.map((item) => (
            <li key={item.id} className={item.status === "done" ? "done" : undefined}>
              <label className="item-main">
                <input
                  type="checkbox"
                  checked={update.isPending && update.variables.itemId === item.id ? update.variables.status === "done" : item.status === "done"}
                  disabled={!canRespond || update.isPending}
                  onChange={(e) => update.mutate({ itemId: item.id, status: e.target.checked ? "done" : "open" })}
                />
                <span className="item-title">{item.title}</span>
              </label>
              <div className="item-meta">
                <span>{item.status.replace("_", " ")}</span>
                {item.owner && <span>owner {item.owner}</span>}
                {item.due_at && <span>due {formatTime(item.due_at)}</span>}
              </div>
            </li>
          ))}
        </ul>
      )}
      {canRespond && (
        <form className="inline-form" onSubmit={submit} aria-label="Add an action item">
          <label className="grow">
            <span className="visually-hidden">Action item</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Alert on pool saturation before it is exhausted" aria-label="Action item" maxLength={2000} />
          </label>
          <label>
            <span className="visually-hidden">Owner</span>
            <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="owner" aria-label="Owner" size={12} maxLength={200} />
          </label>
          <label>
            <span className="visually-hidden">Due date</span>
            <input type="date" value={due} onChange={(e) => setDue(e.target.value)} aria-label="Due date" />
          </label>
          <button type="submit" disabled={add.isPending || !title.trim()}>
            Add
          </button>
        </form>
      )}
      {(add.isError || update.isError) && <ErrorBanner error={add.error ?? update.error} title="The action item did not change" />}
    </section>
  );
}
