import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "react-router";
import { api } from "../../api/client";
import { formatRelative, formatTime } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import { entryFromEvent, mergeTimeline, type Entry } from "./timeline";
import { LiveBadge, useEventStream, useThrottledRefresh } from "./useStream";

const KEPT = 30;

/** An incident's title from whatever list or detail is cached (the lists on this page). */
function cachedTitle(queryClient: QueryClient, id: number): string | null {
  for (const [, data] of queryClient.getQueriesData<unknown>({ queryKey: ["incidents"] })) {
    const pages = (data as { pages?: { items?: unknown[] }[] } | undefined)?.pages ?? [data as { items?: unknown[] }];
    for (const page of pages) {
      const items = Array.isArray(page?.items) ? page.items : [page];
      for (const item of items) {
        const incident = item as { id?: unknown; title?: unknown } | null;
        if (incident && incident.id === id && typeof incident.title === "string") return incident.title;
      }
    }
  }
  return null;
}

/** Every incident's timeline as it happens (GET /api/incidents/stream); each event also
 * refreshes the lists, so statuses and new incidents show without a reload. */
export function LiveActivity() {
  const search = keepTimeRange(useLocation().search);
  const queryClient = useQueryClient();
  const [entries, setEntries] = useState<Entry[]>([]);
  const refresh = useThrottledRefresh();
  const state = useEventStream(
    "incidents-all",
    (lastEventId, signal) =>
      api.GET("/api/incidents/stream", {
        parseAs: "stream",
        signal,
        headers: lastEventId ? { "Last-Event-ID": lastEventId } : {},
      }),
    (event) => {
      refresh();
      if (event.event !== "timeline") return;
      const entry = entryFromEvent(event.data);
      if (entry) setEntries((current) => mergeTimeline(current, [entry]).slice(-KEPT));
    },
  );
  return (
    <section className="panel live-activity" aria-labelledby="live-activity">
      <header className="panel-head">
        <h2 id="live-activity">Live activity</h2>
        <LiveBadge state={state} />
      </header>
      {entries.length === 0 ? (
        <p className="muted small">Updates, status changes and pages of every incident appear here as they happen.</p>
      ) : (
        <ol className="activity" aria-label="Latest incident activity">
          {[...entries].reverse().map((e) => (
            <li key={e.id}>
              <div className="item-meta">
                <Link to={{ pathname: `/incidents/${e.incident_id}`, search }}>
                  #{e.incident_id} {cachedTitle(queryClient, e.incident_id)}
                </Link>
                <span className="badge">{e.kind}</span>
                <span>{e.author}</span>
                <time dateTime={e.at} title={formatTime(e.at)}>
                  {formatRelative(e.at)}
                </time>
              </div>
              <div className="activity-message">{e.message}</div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
