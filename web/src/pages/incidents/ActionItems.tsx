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
  // The box shows the state asked for from the click on, until the lists have reloaded: the
  // mutation's own pending state arrives a tick later, and in between React would put the
  // controlled box back as it was.
  const [asked, setAsked] = useState<{ itemId: number; status: Status } | null>(null);
  const update = useMutation({
    mutationFn: ({ itemId, status }: { itemId: number; status: Status }) =>
      call(api.PATCH("/api/incidents/{incident_id}/action-items/{item_id}", { params: { path: { incident_id: incidentId, item_id: itemId } }, body: { status } })),
    onSettled: async () => {
      await refreshIncident(queryClient, incidentId);
      setAsked(null);
    },
  });
  const toggle = (itemId: number, done: boolean) => {
    const status: Status = done ? "done" : "open";
    setAsked({ itemId, status });
    update.mutate({ itemId, status });
  };
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
                  checked={asked?.itemId === item.id ? asked.status === "done" : item.status === "done"}
                  disabled={!canRespond || asked !== null}
                  onChange={(e) => toggle(item.id, e.target.checked)}
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
