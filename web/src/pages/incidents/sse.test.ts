import { describe, expect, it } from "vitest";
import { followStream, SseParser, type SseEvent, type StreamState } from "./sse";

describe("SseParser", () => {
  it("parses frames split anywhere, ignores comments and heartbeats, keeps the last id", () => {
    const parser = new SseParser();
    const text = "retry: 3000\n: connected\n\nevent: timeline\nid: 7\ndata: {\"id\":7}\n\n: keep-alive\n\nevent: deleted\r\ndata: {\"incident_id\":1}\r\n\r\ndata: a\ndata: b\n\n";
    const events: SseEvent[] = [];
    for (let i = 0; i < text.length; i += 3) events.push(...parser.push(text.slice(i, i + 3)));
    expect(events).toEqual([
      { event: "timeline", id: "7", data: '{"id":7}' },
      { event: "deleted", data: '{"incident_id":1}' },
      { event: "message", data: "a\nb" },
    ]);
    expect(parser.lastEventId).toBe("7");
    expect(parser.retry).toBe(3000);
  });

  it("waits for the rest of a frame and of a CRLF", () => {
    const parser = new SseParser();
    expect(parser.push("event: timeline\r")).toEqual([]);
    expect(parser.push("\nid: 3\r\ndata: x")).toEqual([]);
    expect(parser.push("\r\n\r\n")).toEqual([{ event: "timeline", id: "3", data: "x" }]);
  });
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("followStream", () => {
  it("reconnects after the stream ends, sending the last event id, and stops when aborted", async () => {
    const controller = new AbortController();
    const asked: (string | undefined)[] = [];
    const seen: string[] = [];
    const states: StreamState[] = [];
    const bodies = [
      ["event: timeline\nid: 4\ndata: four\n\n: keep-alive\n\n", "event: timeline\nid: 5\ndata: five\n\n"],
      ["event: timeline\nid: 6\ndata: six\n\n"],
    ];
    await followStream({
      lastEventId: "3",
      retryMs: 1,
      signal: controller.signal,
      open: async (lastEventId) => {
        asked.push(lastEventId);
        const body = bodies.shift();
        if (!body) {
          controller.abort();
          return { response: new Response(null, { status: 503 }) };
        }
        return { data: streamOf(body), response: new Response("", { status: 200 }) };
      },
      onEvent: (event) => seen.push(`${event.id}:${event.data}`),
      onState: (state) => states.push(state),
    });
    expect(seen).toEqual(["4:four", "5:five", "6:six"]);
    expect(asked).toEqual(["3", "5", "6"]);
    expect(states[0]).toBe("connecting");
    expect(states).toContain("live");
    expect(states).toContain("reconnecting");
    expect(states.at(-1)).toBe("closed");
  });

  it("gives up on a 404 (the incident is gone) instead of retrying", async () => {
    let calls = 0;
    const states: StreamState[] = [];
    await followStream({
      signal: new AbortController().signal,
      open: async () => {
        calls++;
        return { response: new Response(null, { status: 404 }) };
      },
      onEvent: () => undefined,
      onState: (s) => states.push(s),
    });
    expect(calls).toBe(1);
    expect(states.at(-1)).toBe("closed");
  });
});
