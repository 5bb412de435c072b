// Live tail: reads GET /api/logs/tail (server-sent events) through the typed client, so
// the session's Bearer token goes in the Authorization header (never the URL) and a 401
// ends the session as everywhere else. Reconnects with Last-Event-ID after a drop, so no
// line is lost; keeps at most MAX_LINES lines in memory (newest first).
import { useEffect, useRef, useState } from "react";
import { ApiError, api, type Problem } from "../../api/client";
import type { LogHit } from "./LogList";
import type { StructuredQuery } from "./queryText";
import { SseParser } from "../../api/sse";

export const MAX_LINES = 2000;
const RECONNECT_MS = 3000;

export type TailStatus = "connecting" | "live" | "reconnecting" | "failed";

export interface TailHeader {
  query: StructuredQuery;
  natural_language: boolean;
  interpretation: string[];
}

export interface TailState {
  status: TailStatus;
  lines: LogHit[];
  header: TailHeader | null;
  /** Lines the server left out in bursts (more than one batch between two polls). */
  skipped: number;
  /** Lines dropped here to keep MAX_LINES. */
  dropped: number;
  error: unknown;
}

export interface TailParams {
  query: string;
  nl?: boolean;
  traceId?: string | null;
}

const INITIAL: TailState = { status: "connecting", lines: [], header: null, skipped: 0, dropped: 0, error: null };

/** Apply a batch of stream events to the state (pure; newest line first). */
export function applyTailEvents(state: TailState, events: { event: string; data: string }[]): TailState {
  let { lines, header, skipped, dropped } = state;
  const fresh: LogHit[] = [];
  for (const e of events) {
    if (e.event === "log") fresh.push(JSON.parse(e.data) as LogHit);
    else if (e.event === "query") header = JSON.parse(e.data) as TailHeader;
    else if (e.event === "skipped") skipped += (JSON.parse(e.data) as { skipped: number }).skipped;
  }
  if (fresh.length) {
    const seen = new Set(lines.map((l) => l.id));
    const added = fresh.filter((l) => !seen.has(l.id)).reverse();
    lines = [...added, ...lines];
    if (lines.length > MAX_LINES) {
      dropped += lines.length - MAX_LINES;
      lines = lines.slice(0, MAX_LINES);
    }
  }
  return { ...state, lines, header, skipped, dropped };
}

export function useLiveTail(params: TailParams, enabled: boolean): TailState {
  const [state, setState] = useState<TailState>(INITIAL);
  const key = JSON.stringify(params);
  const paramsRef = useRef(params);
  paramsRef.current = params;

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const { signal } = controller;
    setState(INITIAL);
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });

    const run = async () => {
      let lastId = "";
      while (!signal.aborted) {
        const parser = new SseParser();
        try {
          const { query, nl, traceId } = paramsRef.current;
          const { data, error, response } = await api.GET("/api/logs/tail", {
            params: { query: { query, nl, trace_id: traceId ?? undefined } },
            headers: lastId ? { "Last-Event-ID": lastId } : {},
            parseAs: "stream",
            signal,
          });
          if (!response.ok || !data) {
            const problem = (error && typeof error === "object" ? error : { detail: String(error ?? "") }) as Problem;
            throw new ApiError(response.status, problem);
          }
          setState((s) => ({ ...s, status: "live", error: null }));
          const reader = data.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const events = parser.feed(decoder.decode(value, { stream: true })).flatMap((m) => (m.kind === "event" ? [m] : []));
            if (parser.lastEventId) lastId = parser.lastEventId;
            if (events.length) setState((s) => applyTailEvents(s, events));
          }
        } catch (exc) {
          if (signal.aborted) return;
          if (exc instanceof ApiError && exc.status >= 400 && exc.status < 500 && exc.status !== 429) {
            setState((s) => ({ ...s, status: "failed", error: exc }));
            return; // a bad query or no permission: retrying does not help
          }
          setState((s) => ({ ...s, error: exc }));
        }
        if (signal.aborted) return;
        setState((s) => ({ ...s, status: "reconnecting" }));
        await sleep(parser.retryMs ?? RECONNECT_MS);
      }
    };
    void run();
    return () => controller.abort();
  }, [key, enabled]);

  return enabled ? state : INITIAL;
}
