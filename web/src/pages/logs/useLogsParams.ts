// The logs page's state, all in the URL (a reload or a shared link shows the same thing):
//   ?q=<query text>  &nl=true|false (absent: detect)  &trace_id=<32 hex>
//   &tab=patterns|anomalies|errors (absent: results)   &live=1 (live tail)
// plus the shared time range (?range= or ?from=&to=).
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

export const TABS = ["results", "patterns", "anomalies", "errors"] as const;
export type Tab = (typeof TABS)[number];
export type Mode = "auto" | "language" | "natural";

export interface LogsParams {
  q: string;
  mode: Mode;
  traceId: string | null;
  tab: Tab;
  live: boolean;
}

export function readLogsParams(params: URLSearchParams): LogsParams {
  const nl = params.get("nl");
  const tab = params.get("tab");
  const traceId = params.get("trace_id");
  return {
    q: params.get("q") ?? "",
    mode: nl === "true" ? "natural" : nl === "false" ? "language" : "auto",
    traceId: traceId && /^[0-9a-fA-F]{32}$/.test(traceId) ? traceId.toLowerCase() : null,
    tab: (TABS as readonly string[]).includes(tab ?? "") ? (tab as Tab) : "results",
    live: params.get("live") === "1",
  };
}

/** URL parameters with `change` applied; every other parameter (time range…) is kept. */
export function writeLogsParams(params: URLSearchParams, change: Partial<LogsParams>): URLSearchParams {
  const next = new URLSearchParams(params);
  const set = (name: string, value: string | null) => (value ? next.set(name, value) : next.delete(name));
  if (change.q !== undefined) set("q", change.q.trim());
  if (change.mode !== undefined) set("nl", change.mode === "auto" ? null : String(change.mode === "natural"));
  if (change.traceId !== undefined) set("trace_id", change.traceId);
  if (change.tab !== undefined) set("tab", change.tab === "results" ? null : change.tab);
  if (change.live !== undefined) set("live", change.live ? "1" : null);
  return next;
}

/** `nl` for the API: true/false, or undefined to let the server detect a question. */
export function nlParam(mode: Mode): boolean | undefined {
  return mode === "auto" ? undefined : mode === "natural";
}

export function useLogsParams(): [LogsParams, (change: Partial<LogsParams>) => void] {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => readLogsParams(params), [params]);
  const update = useCallback(
    (change: Partial<LogsParams>) => setParams((prev) => writeLogsParams(prev, change)),
    [setParams],
  );
  return [state, update];
}

/** A link to the logs page searching `q` (keeping the time range in `search`). */
export function logsSearch(timeSearch: string, change: Partial<LogsParams>): string {
  const text = writeLogsParams(new URLSearchParams(timeSearch), change).toString();
  return text ? `?${text}` : "";
}
