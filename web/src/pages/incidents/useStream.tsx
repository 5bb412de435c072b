import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { followStream, type SseEvent, type StreamOptions, type StreamState } from "./sse";

/**
 * Follows a server-sent event stream while the component is mounted (and `enabled`).
 * `open` and `onEvent` may change between renders; the latest ones are used. The stream
 * restarts only when `key` changes. Returns the connection state for a "Live" badge.
 */
export function useEventStream(
  key: string,
  open: StreamOptions["open"],
  onEvent: (event: SseEvent) => void,
  { enabled = true, lastEventId }: { enabled?: boolean; lastEventId?: string } = {},
): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const latest = useRef({ open, onEvent, lastEventId });
  latest.current = { open, onEvent, lastEventId };
  useEffect(() => {
    if (!enabled) return undefined;
    const controller = new AbortController();
    void followStream({
      open: (id, signal) => latest.current.open(id, signal),
      onEvent: (event) => latest.current.onEvent(event),
      onState: (next) => {
        if (!controller.signal.aborted) setState(next);
      },
      lastEventId: latest.current.lastEventId,
      signal: controller.signal,
    });
    return () => controller.abort();
  }, [key, enabled]);
  return state;
}

export function LiveBadge({ state }: { state: StreamState }) {
  const text = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: "Not live" }[state];
  return (
    <span className={`live-badge live-${state}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

/** Batches list refreshes when many live events arrive at once. */
export function useThrottledRefresh(delayMs = 500) {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void queryClient.invalidateQueries({
        predicate: (q) => q.queryKey[0] === "incidents" && q.queryKey[1] !== "timeline" && q.queryKey[1] !== "suggestions",
      });
    }, delayMs);
  }, [queryClient, delayMs]);
}
