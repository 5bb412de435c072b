// Server-sent events over fetch: EventSource cannot send an Authorization header, so the
// incident streams are read through the typed client (Bearer token, 401 → session expired)
// with `parseAs: "stream"`, and the frames are parsed here. The server writes a comment
// (": keep-alive") at least every 15 s; a connection silent for longer than `staleMs` is
// presumed dead and reopened. Every reconnect sends Last-Event-ID so the server replays
// what was missed.

export interface SseEvent {
  /** `event:` (default "message") */
  event: string;
  data: string;
  /** `id:` when the frame had one */
  id?: string;
}

/** Incremental text/event-stream parser (the WHATWG rules, minus `retry`'s reconnection). */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  /** Milliseconds from the last `retry:` field, if any. */
  retry: number | undefined;
  /** The last `id:` seen (survives frames without one, as Last-Event-ID does). */
  lastEventId: string | undefined;

  /** Feed decoded text; returns the events completed by it. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null; // comment: heartbeat or ": connected"
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.id !== undefined) this.lastEventId = this.id;
    const had = this.data.length > 0;
    const event: SseEvent = { event: this.event || "message", data: this.data.join("\n") };
    if (this.id !== undefined) event.id = this.id;
    this.data = [];
    this.event = "";
    this.id = undefined;
    return had ? event : null;
  }
}

export type StreamState = "connecting" | "live" | "reconnecting" | "closed";

export interface StreamOptions {
  /** Opens the stream (the typed client with `parseAs: "stream"`), sending Last-Event-ID. */
  open: (lastEventId: string | undefined, signal: AbortSignal) => Promise<{ data?: ReadableStream<Uint8Array> | null; response: Response }>;
  onEvent: (event: SseEvent) => void;
  onState?: (state: StreamState, detail?: string) => void;
  /** Resume after this id (e.g. the newest entry already loaded). */
  lastEventId?: string;
  signal: AbortSignal;
  /** Reopen when nothing (not even a heartbeat) arrived for this long. Default 45 s. */
  staleMs?: number;
  /** First reconnect delay (doubles up to 30 s); the server's `retry:` wins. */
  retryMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Reads the stream until `signal` aborts, reconnecting with Last-Event-ID. */
export async function followStream(options: StreamOptions): Promise<void> {
  const { signal, onEvent } = options;
  const onState = options.onState ?? (() => undefined);
  const staleMs = options.staleMs ?? 45_000;
  let lastEventId = options.lastEventId;
  let delay = options.retryMs ?? 1000;
  let first = true;
  while (!signal.aborted) {
    onState(first ? "connecting" : "reconnecting");
    first = false;
    const attempt = new AbortController();
    const abort = () => attempt.abort();
    signal.addEventListener("abort", abort, { once: true });
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => attempt.abort(), staleMs);
    };
    const parser = new SseParser();
    try {
      arm();
      const { data, response } = await options.open(lastEventId, attempt.signal);
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        onState("closed", `The server answered ${response.status}.`);
        return;
      }
      if (!response.ok || !data) throw new Error(`The server answered ${response.status}.`);
      onState("live");
      delay = options.retryMs ?? 1000;
      const reader = data.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          if (event.id !== undefined) lastEventId = event.id;
          onEvent(event);
        }
      }
    } catch {
      // network error, watchdog or abort: reconnect below unless we were asked to stop
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener("abort", abort);
      attempt.abort();
    }
    if (signal.aborted) break;
    onState("reconnecting");
    await sleep(parser.retry ?? delay, signal);
    delay = Math.min(delay * 2, 30_000);
  }
  onState("closed");
}
