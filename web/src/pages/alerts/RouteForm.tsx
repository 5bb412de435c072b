import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Dialog } from "./Dialog";
import { subtreeIds, type RouteRow } from "./routeTree";

type Named = { id: number; name: string };

const list = (text: string): string[] | null => {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  return items.length ? items : null;
};
const seconds = (text: string): number | null => (text.trim() === "" ? null : Number(text));

/** Create or edit a route; empty fields inherit from the parent route. */
export function RouteForm({
  route,
  rows,
  teams,
  policies,
  onClose,
}: {
  route: RouteRow | null;
  rows: RouteRow[];
  teams: Named[];
  policies: Named[];
  onClose: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    name: route?.name ?? "",
    parent_id: route?.parent_id ? String(route.parent_id) : "",
    position: String(route?.position ?? 0),
    matchers: (route?.matchers ?? []).join("\n"),
    continue_matching: route?.continue_matching ?? false,
    receiver: route?.receiver ?? "",
    team_id: route?.team_id ? String(route.team_id) : "",
    escalation_policy_id: route?.escalation_policy_id ? String(route.escalation_policy_id) : "",
    channels: route?.channels?.join(", ") ?? "",
    group_by: route?.group_by?.join(", ") ?? "",
    group_wait_s: route?.group_wait_s?.toString() ?? "",
    group_interval_s: route?.group_interval_s?.toString() ?? "",
    repeat_interval_s: route?.repeat_interval_s?.toString() ?? "",
  });
  const set = (name: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));
  const save = useMutation({
    mutationFn: (body: Schemas["RouteIn"]) =>
      call(
        route
          ? api.PUT("/api/alerting/routes/{route_id}", { params: { path: { route_id: route.id } }, body })
          : api.POST("/api/alerting/routes", { body }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["alerts", "routes"] });
      onClose();
    },
  });
  const excluded = route ? subtreeIds(rows, route.id) : new Set<number>();

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({
      name: form.name.trim(),
      parent_id: form.parent_id ? Number(form.parent_id) : null,
      position: Number(form.position) || 0,
      matchers: form.matchers.split("\n").map((m) => m.trim()).filter(Boolean),
      continue_matching: form.continue_matching,
      receiver: form.receiver.trim() || null,
      team_id: form.team_id ? Number(form.team_id) : null,
      escalation_policy_id: form.escalation_policy_id ? Number(form.escalation_policy_id) : null,
      channels: list(form.channels),
      group_by: list(form.group_by),
      group_wait_s: seconds(form.group_wait_s),
      group_interval_s: seconds(form.group_interval_s),
      repeat_interval_s: seconds(form.repeat_interval_s),
    });
  }

  const f = (name: string) => `${id}-${name}`;
  return (
    <Dialog title={route ? `Edit route “${route.name}”` : "New route"} onClose={onClose}>
      <form onSubmit={submit} className="route-form">
        <div className="form-grid">
          <label htmlFor={f("name")}>Name</label>
          <input id={f("name")} required value={form.name} onChange={set("name")} />
          <label htmlFor={f("parent")}>Parent</label>
          <select id={f("parent")} value={form.parent_id} onChange={set("parent_id")}>
            <option value="">Default route</option>
            {rows
              .filter((r) => !excluded.has(r.id))
              .map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
          </select>
          <label htmlFor={f("position")}>Position</label>
          <input id={f("position")} type="number" value={form.position} onChange={set("position")} />
          <label htmlFor={f("matchers")}>Matchers (one a line)</label>
          <textarea id={f("matchers")} rows={3} value={form.matchers} onChange={set("matchers")} placeholder={'service="checkout"\nseverity=~"critical|high"'} />
          <span />
          <label className="checkbox">
            <input
              type="checkbox"
              checked={form.continue_matching}
              onChange={(e) => setForm((x) => ({ ...x, continue_matching: e.target.checked }))}
            />{" "}
            Continue: also try the routes after this one
          </label>
          <label htmlFor={f("receiver")}>Receiver</label>
          <input id={f("receiver")} value={form.receiver} onChange={set("receiver")} placeholder="inherit" />
          <label htmlFor={f("team")}>Team</label>
          <select id={f("team")} value={form.team_id} onChange={set("team_id")}>
            <option value="">inherit</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
          <label htmlFor={f("policy")}>Escalation policy</label>
          <select id={f("policy")} value={form.escalation_policy_id} onChange={set("escalation_policy_id")}>
            <option value="">inherit</option>
            {policies.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <label htmlFor={f("channels")}>Channels</label>
          <input id={f("channels")} value={form.channels} onChange={set("channels")} placeholder="inherit, e.g. slack:#ops, email:dba@example.com" />
          <label htmlFor={f("group-by")}>Group by</label>
          <input id={f("group-by")} value={form.group_by} onChange={set("group_by")} placeholder="inherit, e.g. alertname, cluster" />
          <label htmlFor={f("wait")}>Group wait (s)</label>
          <input id={f("wait")} type="number" min={0} value={form.group_wait_s} onChange={set("group_wait_s")} placeholder="inherit" />
          <label htmlFor={f("interval")}>Group interval (s)</label>
          <input id={f("interval")} type="number" min={1} value={form.group_interval_s} onChange={set("group_interval_s")} placeholder="inherit" />
          <label htmlFor={f("repeat")}>Repeat interval (s)</label>
          <input id={f("repeat")} type="number" min={1} value={form.repeat_interval_s} onChange={set("repeat_interval_s")} placeholder="inherit" />
        </div>
        {save.isError && <ErrorBanner error={save.error} title="The route was not saved" />}
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save route"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
