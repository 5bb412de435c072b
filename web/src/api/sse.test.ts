import { describe, expect, it } from "vitest";
import { SseParser, type SseMessage } from "./sse";

const events = (messages: SseMessage[]) => messages.filter((m) => m.kind === "event");

describe("SseParser", () => {
  it("reads the tail's frames: comments, typed events with ids, retry", () => {
    const parser = new SseParser();
    const out = parser.feed(
      'retry: 3000\n: connected\n\nevent: query\ndata: {"query":{}}\n\nevent: log\nid: 42\ndata: {"id":42}\n\n: keep-alive\n\n',
    );
    expect(out).toEqual([
      { kind: "comment", text: "connected" },
      { kind: "event", event: "query", data: '{"query":{}}', id: "" },
      { kind: "event", event: "log", data: '{"id":42}', id: "42" },
      { kind: "comment", text: "keep-alive" },
    ]);
    expect(parser.retryMs).toBe(3000);
    expect(parser.lastEventId).toBe("42");
  });

  it("completes events split anywhere across chunks, including inside CRLF", () => {
    const text = "event: log\r\nid: 7\r\ndata: first\r\ndata: second\r\n\r\ndata: plain\r\n\r\n";
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const out = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(events(out)).toEqual([
        { kind: "event", event: "log", data: "first\nsecond", id: "7" },
        { kind: "event", event: "message", data: "plain", id: "7" },
      ]);
    }
  });

  it("waits for the blank line, ignores unknown fields and events without data", () => {
    const parser = new SseParser();
    expect(parser.feed("event: log\ndata: {\"a\":1}\n")).toEqual([]);
    expect(events(parser.feed("\n"))).toHaveLength(1);
    expect(parser.feed("event: nothing\nfoo: bar\n\n")).toEqual([]);
    expect(events(parser.feed("data\n\n"))).toEqual([{ kind: "event", event: "message", data: "", id: "" }]);
    expect(events(parser.feed("data:no-space\r\r"))[0]!.data).toBe("no-space");
  });

  it("strips a leading byte order mark and keeps a colon inside the value", () => {
    const parser = new SseParser();
    const out = parser.feed("\ufeffdata: a: b\n\n");
    expect(events(out)[0]!.data).toBe("a: b");
  });
});
