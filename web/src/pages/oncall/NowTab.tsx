import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { useSchedules, useUsers } from "../alerts/lookups";
import { OverrideForm } from "./OverrideForm";
import { ScheduleTimeline } from "./ScheduleTimeline";
import { twoWeeks } from "./timeline";
import { useOnCallNow, useOverrides, useTwoWeeks, type Schedule } from "./useOnCall";

type Shifts = Schemas["FinalShiftsOut"];

const short = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** Where the logged-in person stands: on call now (where, until when), or their next shift. */
export function youSummary(meId: number | null, schedules: Schedule[], shifts: (Shifts | undefined)[], now = Date.now()): string {
  if (meId === null) return "Log in as a person (not an API key) to see your own shifts.";
  const mine = schedules.flatMap((s, i) =>
    (shifts[i]?.shifts ?? []).filter((x) => x.user_id === meId).map((x) => ({ schedule: s.name, ...x })),
  );
  const current = mine.filter((x) => Date.parse(x.start) <= now && now < Date.parse(x.end));
  if (current.length > 0) {
    return `You are on call now: ${current.map((c) => `${c.schedule} until ${short(c.end)}`).join("; ")}.`;
  }
  const next = mine.filter((x) => Date.parse(x.start) > now).sort((a, b) => a.start.localeCompare(b.start))[0];
  return next
    ? `You are not on call now. Your next shift: ${next.schedule} from ${short(next.start)} (${formatRelative(next.start, now)}).`
    : "You are not on call now, nor in the next two weeks.";
}

/** Who is on call now in every schedule, you, and a schedule's next two weeks with overrides. */
export function NowTab() {
  const me = useMe().data;
  const meId = me?.kind === "user" ? me.id : null;
  const canWrite = can(me, "write");
  const schedules = useSchedules();
  const users = useUsers();
  const [params, setParams] = useSearchParams();
  const weeks = useMemo(() => twoWeeks(), []);
  const list = useMemo(() => [...(schedules.data?.items ?? [])].sort((a, b) => a.id - b.id), [schedules.data]);
  const now = useOnCallNow(list);
  const shifts = useTwoWeeks(list, weeks);
  const picked = Number(params.get("schedule"));
  const selected = list.find((s) => s.id === picked) ?? list[0] ?? null;
  const overrides = useOverrides(selected?.id ?? null, weeks.start);
  const [overriding, setOverriding] = useState(false);
  const queryClient = useQueryClient();
  const removeOverride = useMutation({
    mutationFn: (o: Schemas["OverrideOut"]) =>
      call(
        api.DELETE("/api/oncall/schedules/{schedule_id}/overrides/{override_id}", {
          params: { path: { schedule_id: o.schedule_id, override_id: o.id } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["oncall"] }),
  });

  const names = new Map((users.data?.items ?? []).map((u) => [u.id, u.name]));
  const userName = (id: number) => names.get(id) ?? `user ${id}`;
  const pick = (id: number) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev);
      p.set("schedule", String(id));
      return p;
    });

  if (schedules.isPending) return <Loading label="Loading schedules" />;
  if (schedules.isError) return <ErrorBanner error={schedules.error} what="schedules" onRetry={() => schedules.refetch()} />;
  if (list.length === 0)
    return (
      <EmptyState title="No on-call schedules yet">
        <p>
          Create one with <code>POST /api/oncall/schedules</code> (a time zone and layers of people taking turns), or run{" "}
          <code>make demo</code> for an example. See docs/oncall.md.
        </p>
      </EmptyState>
    );

  const index = selected ? list.indexOf(selected) : -1;
  const data = index >= 0 ? shifts[index]?.data : undefined;
  const selectedShifts = index >= 0 ? shifts[index] : undefined;

  return (
    <>
      <section className="panel" aria-labelledby="now-title">
        <h2 id="now-title">On call now</h2>
        <p className="you" aria-label="You">
          {youSummary(meId, list, shifts.map((q) => q.data))}
        </p>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">On call now</th>
              <th scope="col">Until</th>
              <th scope="col">
                <span className="visually-hidden">Timeline</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((s, i) => {
              const q = now[i];
              const who = q?.data;
              return (
                <tr key={s.id} aria-current={s.id === selected?.id ? "true" : undefined}>
                  <th scope="row">{s.name}</th>
                  <td>
                    {q?.isPending ? (
                      "…"
                    ) : q?.isError ? (
                      <span className="bad">could not load</span>
                    ) : who?.user_id === null || who?.user_id === undefined ? (
                      <span className="bad">nobody (gap)</span>
                    ) : (
                      <>
                        {userName(who.user_id)}
                        {who.user_id === meId && <span className="badge you-badge">you</span>}
                        {who.shift?.layer === null && <span className="badge">override</span>}
                      </>
                    )}
                  </td>
                  <td>
                    {who?.shift ? (
                      <time dateTime={who.shift.end} title={formatTime(who.shift.end)}>
                        {short(who.shift.end)} ({formatRelative(who.shift.end)})
                      </time>
                    ) : (
                      "–"
                    )}
                  </td>
                  <td>
                    <button type="button" onClick={() => pick(s.id)} aria-pressed={s.id === selected?.id} aria-label={`Show the timeline of ${s.name}`}>
                      Timeline
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      {selected && (
        <section className="panel" aria-labelledby="timeline-title">
          <div className="panel-head">
            <h2 id="timeline-title">{selected.name}: the next two weeks</h2>
            <span className="muted small">
              {selected.time_zone} · {selected.layers.length} layer{selected.layers.length === 1 ? "" : "s"}
            </span>
            {canWrite && (
              <button type="button" className="primary" onClick={() => setOverriding(true)}>
                Add override
              </button>
            )}
          </div>
          {selectedShifts?.isPending || overrides.isPending ? (
            <Loading label="Loading shifts" />
          ) : selectedShifts?.isError ? (
            <ErrorBanner error={selectedShifts.error} what="shifts" onRetry={() => selectedShifts.refetch()} />
          ) : data ? (
            <>
              <ScheduleTimeline
                title={selected.name}
                start={weeks.start}
                end={weeks.end}
                now={new Date()}
                layers={data.layers ?? []}
                overrides={overrides.data?.items ?? []}
                final={data.shifts}
                gaps={data.gaps}
                userName={userName}
                meId={meId}
              />
              <OverridesList
                overrides={overrides.data?.items ?? []}
                userName={userName}
                canWrite={canWrite}
                onRemove={(o) => removeOverride.mutate(o)}
                removing={removeOverride.isPending}
              />
              {removeOverride.isError && <ErrorBanner error={removeOverride.error} title="The override was not removed" />}
              <details className="shift-list">
                <summary>Final shifts and gaps as a list</summary>
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">From</th>
                      <th scope="col">Until</th>
                      <th scope="col">On call</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...data.shifts.map((s) => ({ ...s, gap: false })), ...data.gaps.map((g) => ({ ...g, user_id: -1, layer: null, gap: true }))]
                      .sort((a, b) => a.start.localeCompare(b.start))
                      .map((s) => (
                        <tr key={`${s.start}-${s.user_id}`}>
                          <td>{short(s.start)}</td>
                          <td>{short(s.end)}</td>
                          <td>
                            {s.gap ? <span className="bad">nobody (gap)</span> : userName(s.user_id)}
                            {!s.gap && s.layer === null && <span className="badge">override</span>}
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </details>
            </>
          ) : null}
          {overriding && (
            <OverrideForm
              scheduleId={selected.id}
              scheduleName={selected.name}
              users={users.data?.items ?? []}
              defaultUserId={meId}
              onClose={() => setOverriding(false)}
            />
          )}
        </section>
      )}
    </>
  );
}

function OverridesList({
  overrides,
  userName,
  canWrite,
  onRemove,
  removing,
}: {
  overrides: Schemas["OverrideOut"][];
  userName: (id: number) => string;
  canWrite: boolean;
  onRemove: (o: Schemas["OverrideOut"]) => void;
  removing: boolean;
}) {
  if (overrides.length === 0) return <p className="muted small">No overrides in these two weeks.</p>;
  return (
    <table className="data overrides">
      <caption>Overrides and swaps</caption>
      <thead>
        <tr>
          <th scope="col">On call</th>
          <th scope="col">From</th>
          <th scope="col">Until</th>
          <th scope="col">Created by</th>
          {canWrite && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {[...overrides]
          .sort((a, b) => a.start.localeCompare(b.start))
          .map((o) => (
            <tr key={o.id}>
              <th scope="row">
                {userName(o.user_id)}
                {o.replaces_user_id !== null && <span className="muted"> instead of {userName(o.replaces_user_id)} (swap)</span>}
              </th>
              <td>{short(o.start)}</td>
              <td>{short(o.end)}</td>
              <td>{o.created_by}</td>
              {canWrite && (
                <td>
                  <button type="button" disabled={removing} aria-label={`Remove the override of ${userName(o.user_id)} from ${short(o.start)}`} onClick={() => onRemove(o)}>
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
      </tbody>
    </table>
  );
}
