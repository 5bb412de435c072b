import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useLocation, useSearchParams } from "react-router";
import { api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatMs, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { useTimeRange } from "../../components/TimeRangePicker";
import { keepTimeRange, presetLabel } from "../../components/timeRange";
import { useUsers } from "../alerts/lookups";
import { KINDS } from "./ContactTab";

const PAGE = 100;

/** Every delivery attempt in the time range: channel, address, person, result, latency; filterable. */
export function HistoryTab() {
  const time = useTimeRange();
  const search = keepTimeRange(useLocation().search);
  const [params, setParams] = useSearchParams();
  const channel = params.get("channel") ?? "";
  const result = params.get("result") ?? "";
  const user = params.get("user") ?? "";
  const group = params.get("group") ?? "";
  const users = useUsers().data?.items ?? [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  const setParam = (name: string, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );

  const history = useInfiniteQuery({
    queryKey: ["oncall", "history", time.key, channel, result, user, group],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      call(
        api.GET("/api/notifications", {
          params: {
            query: {
              ...time.query(),
              limit: PAGE,
              cursor: pageParam ?? undefined,
              channel: channel || undefined,
              ok: result === "" ? undefined : result === "ok",
              user_id: user ? Number(user) : undefined,
              group_id: /^\d+$/.test(group) ? Number(group) : undefined,
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: 30_000,
  });
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  const range = time.range.kind === "relative" ? presetLabel(time.range.preset).toLowerCase() : "the chosen range";

  return (
    <section aria-labelledby="history-title">
      <div className="panel-head">
        <h2 id="history-title">Notification history</h2>
        <span className="muted small">{range} (change it at the top)</span>
      </div>
      <div className="filters" role="search" aria-label="Filter notifications">
        <label>
          Channel{" "}
          <select value={channel} onChange={(e) => setParam("channel", e.target.value)}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Result{" "}
          <select value={result} onChange={(e) => setParam("result", e.target.value)}>
            <option value="">any</option>
            <option value="ok">delivered</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <label>
          Person{" "}
          <select value={user} onChange={(e) => setParam("user", e.target.value)}>
            <option value="">anyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Alert group{" "}
          <input type="number" min={1} value={group} placeholder="id" onChange={(e) => setParam("group", e.target.value)} className="narrow" />
        </label>
      </div>
      {history.isPending ? (
        <Loading label="Loading notifications" />
      ) : history.isError ? (
        <ErrorBanner error={history.error} what="notifications" onRetry={() => history.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={`No notifications in ${range}${channel || result || user || group ? " matching these filters" : ""}`}>
          <p>
            Pages are sent when an alert group's route has an escalation policy or channels (Alerts → Routing) and its timers say a
            notification is due. Pick a longer time range to see older ones.
          </p>
        </EmptyState>
      ) : (
        <>
          <table className="data history">
            <caption className="visually-hidden">Delivery attempts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Channel</th>
                <th scope="col">To</th>
                <th scope="col">Alert group</th>
                <th scope="col">Result</th>
                <th scope="col" className="num">Latency</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} className={a.ok ? "" : "failed"}>
                  <td>
                    <time dateTime={a.at}>{formatTime(a.at)}</time>
                  </td>
                  <td>
                    <span className="badge">{a.channel}</span>
                  </td>
                  <th scope="row">
                    {a.user_id !== null ? (names.get(a.user_id) ?? `user ${a.user_id}`) : "route channel"}
                    <div className="muted small">
                      <code>{a.address}</code>
                    </div>
                  </th>
                  <td>
                    {a.group_id !== null ? (
                      <Link to={{ pathname: "/oncall/history", search: `${search ? `${search}&` : "?"}group=${a.group_id}` }}>
                        group {a.group_id}
                      </Link>
                    ) : (
                      "–"
                    )}
                    {a.step_index !== null && <span className="muted small"> step {a.step_index + 1}</span>}
                  </td>
                  <td>
                    {a.ok ? <span className="ok-text">delivered</span> : <span className="bad">failed</span>}
                    {a.status_code !== null && <span className="muted small"> HTTP {a.status_code}</span>}
                    {a.error && <div className="muted small error-text">{a.error}</div>}
                  </td>
                  <td className="num">{formatMs(a.latency_ms)}</td>
                  <td>{a.message_status}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {history.hasNextPage && (
            <button type="button" onClick={() => history.fetchNextPage()} disabled={history.isFetchingNextPage}>
              {history.isFetchingNextPage ? "Loading…" : "Load older"}
            </button>
          )}
        </>
      )}
    </section>
  );
}
