import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { api, call } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keys, refreshIncident } from "./common";
import { entryFromEvent, mergeTimeline, newestId, type Entry } from "./timeline";
import { LiveBadge, useEventStream } from "./useStream";

const PAGE = 1000;

async function loadTimeline(incidentId: number, signal: AbortSignal): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      api.GET("/api/incidents/{incident_id}/timeline", {
        params: { path: { incident_id: incidentId }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    );
    entries.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return entries;
}

/** The war room: everything so far, then each new entry as the server pushes it (the
 * incident's SSE stream, resumed with Last-Event-ID after a drop), one copy per entry. */
export function LiveTimeline({ incidentId, canRespond, onDeleted }: { incidentId: number; canRespond: boolean; onDeleted: () => void }) {
  const queryClient = useQueryClient();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [hidePages, setHidePages] = useState(false);
  const loaded = useQuery({
    queryKey: keys.timeline(incidentId),
    queryFn: ({ signal }) => loadTimeline(incidentId, signal),
    staleTime: Infinity,
  });
  useEffect(() => {
    if (loaded.data) setEntries((current) => mergeTimeline(current, loaded.data));
  }, [loaded.data]);

  const initialNewest = loaded.data ? newestId(loaded.data) : undefined;
  const state = useEventStream(
    `incident-${incidentId}`,
    (lastEventId, signal) =>
      api.GET("/api/incidents/{incident_id}/stream", {
        params: { path: { incident_id: incidentId } },
        parseAs: "stream",
        signal,
        headers: lastEventId ? { "Last-Event-ID": lastEventId } : {},
      }),
    (event) => {
      if (event.event === "deleted") {
        onDeleted();
        return;
      }
      if (event.event !== "timeline") return;
      const entry = entryFromEvent(event.data);
      if (!entry) return;
      setEntries((current) => mergeTimeline(current, [entry]));
      void refreshIncident(queryClient, incidentId);
    },
    { enabled: loaded.isSuccess, ...(initialNewest !== undefined ? { lastEventId: String(initialNewest) } : {}) },
  );

  const shown = (hidePages ? entries.filter((e) => e.kind !== "notification") : entries).slice().reverse();
  return (
    <section className="panel" aria-labelledby="timeline-title">
      <header className="panel-head">
        <h2 id="timeline-title">
          Timeline <span className="count">{entries.length}</span>
        </h2>
        <div className="button-row">
          <label className="small">
            <input type="checkbox" checked={hidePages} onChange={(e) => setHidePages(e.target.checked)} /> Hide pages
          </label>
          <LiveBadge state={state} />
        </div>
      </header>
      {canRespond && <UpdateBox incidentId={incidentId} onPosted={(entry) => setEntries((current) => mergeTimeline(current, [entry]))} />}
      {loaded.isPending ? (
        <Loading label="Loading the timeline" />
      ) : loaded.isError ? (
        <ErrorBanner error={loaded.error} what="the timeline" onRetry={() => loaded.refetch()} />
      ) : (
        <ol className="timeline" aria-label="Incident timeline, newest first">
          {shown.map((entry) => (
            <li key={entry.id} className={`timeline-entry kind-${entry.kind}`} data-entry-id={entry.id}>
              <div className="item-meta">
                <span className="badge">{entry.kind.replace(/_/g, " ")}</span>
                <strong>{entry.author}</strong>
                <time dateTime={entry.at} title={formatTime(entry.at)}>
                  {formatRelative(entry.at)}
                </time>
              </div>
              <div className="timeline-message">{entry.message}</div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function UpdateBox({ incidentId, onPosted }: { incidentId: number; onPosted: (entry: Entry) => void }) {
  const [message, setMessage] = useState("");
  const [kind, setKind] = useState<"update" | "note">("update");
  const post = useMutation({
    mutationFn: () => call(api.POST("/api/incidents/{incident_id}/updates", { params: { path: { incident_id: incidentId } }, body: { message: message.trim(), kind } })),
    onSuccess: (entry) => {
      setMessage("");
      onPosted(entry);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (message.trim()) post.mutate();
  };
  return (
    <form className="update-box" onSubmit={submit} aria-label="Post a war-room update">
      <label htmlFor={`update-${incidentId}`} className="visually-hidden">
        War-room update
      </label>
      <textarea
        id={`update-${incidentId}`}
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
        }}
        rows={2}
        maxLength={20_000}
        placeholder="What do we know, what are we doing next? (Ctrl+Enter posts)"
      />
      <div className="button-row">
        <label className="small">
          <span className="visually-hidden">Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as "update" | "note")} aria-label="Kind">
            <option value="update">update</option>
            <option value="note">note</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={post.isPending || !message.trim()}>
          Post update
        </button>
      </div>
      {post.isError && <ErrorBanner error={post.error} title="The update was not posted" />}
    </form>
  );
}
