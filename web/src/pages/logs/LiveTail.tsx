import { ErrorBanner } from "../../components/ErrorBanner";
import { LogList } from "./LogList";
import { RanAs } from "./QueryBar";
import { MAX_LINES, useLiveTail } from "./useLiveTail";
import { nlParam, type LogsParams } from "./useLogsParams";

const STATUS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost — reconnecting…",
  failed: "Stopped",
} as const;

/** New lines matching the query as they arrive (server-sent events). */
export function LiveTail({ params, onEdit }: { params: LogsParams; onEdit: (text: string) => void }) {
  const tail = useLiveTail({ query: params.q, nl: nlParam(params.mode), traceId: params.traceId }, true);
  return (
    <>
      <p className={`tail-status tail-${tail.status}`} role="status">
        <span className="tail-dot" aria-hidden="true" />
        {STATUS[tail.status]}
        {tail.status === "live" && tail.lines.length === 0 && " — waiting for new lines"}
        {tail.lines.length > 0 && ` — ${tail.lines.length.toLocaleString()} new lines`}
        {tail.skipped > 0 && ` (${tail.skipped.toLocaleString()} skipped in bursts)`}
        {tail.dropped > 0 && `; only the newest ${MAX_LINES.toLocaleString()} are kept`}
      </p>
      {tail.status === "failed" && <ErrorBanner error={tail.error} title="Live tail stopped" />}
      {tail.header && (
        <RanAs
          query={tail.header.query}
          natural={tail.header.natural_language}
          interpretation={tail.header.interpretation}
          onEdit={onEdit}
        />
      )}
      {tail.lines.length > 0 && <LogList hits={tail.lines} label="Live log lines, newest first" />}
    </>
  );
}
