import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { toLocalInput } from "../../components/timeRange";
import { Dialog } from "../alerts/Dialog";

type User = Schemas["UserOut"];

/** The next whole hour and four hours on: where a new override starts. */
export function defaultWindow(now = new Date()): { start: Date; end: Date } {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  const end = new Date(start);
  end.setHours(end.getHours() + 4);
  return { start, end };
}

/** Put someone on call for a window (an override), or take one person's shifts (a swap). */
export function OverrideForm({
  scheduleId,
  scheduleName,
  users,
  defaultUserId,
  onClose,
}: {
  scheduleId: number;
  scheduleName: string;
  users: User[];
  defaultUserId: number | null;
  onClose: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const initial = defaultWindow();
  const [userId, setUserId] = useState(String(defaultUserId ?? users[0]?.id ?? ""));
  const [replaces, setReplaces] = useState("");
  const [start, setStart] = useState(toLocalInput(initial.start));
  const [end, setEnd] = useState(toLocalInput(initial.end));
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: Schemas["OverrideIn"]) =>
      call(api.POST("/api/oncall/schedules/{schedule_id}/overrides", { params: { path: { schedule_id: scheduleId } }, body })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["oncall"] });
      onClose();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const s = new Date(start);
    const e = new Date(end);
    if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) return setProblem("Give a start and an end.");
    if (e <= s) return setProblem("The end must be after the start.");
    if (replaces && replaces === userId) return setProblem("A swap hands someone's shifts to somebody else.");
    setProblem(null);
    create.mutate({
      user_id: Number(userId),
      start: s.toISOString(),
      end: e.toISOString(),
      replaces_user_id: replaces ? Number(replaces) : null,
    });
  }

  return (
    <Dialog title={`Override on ${scheduleName}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="form-grid">
          <label htmlFor={`${id}-user`}>On call</label>
          <select id={`${id}-user`} value={userId} onChange={(e) => setUserId(e.target.value)}>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-start`}>From</label>
          <input id={`${id}-start`} type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
          <label htmlFor={`${id}-end`}>Until</label>
          <input id={`${id}-end`} type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />
          <label htmlFor={`${id}-replaces`}>Instead of</label>
          <select id={`${id}-replaces`} value={replaces} onChange={(e) => setReplaces(e.target.value)}>
            <option value="">whoever is on call (override)</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} only (swap)
              </option>
            ))}
          </select>
        </div>
        <p className="muted small">
          An override wins over every layer for its window; a swap takes over only the chosen person's shifts in it. Overrides may not
          overlap.
        </p>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        {create.isError && <ErrorBanner error={create.error} title="The override was not created" />}
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending || !userId}>
            {create.isPending ? "Creating…" : "Create override"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
