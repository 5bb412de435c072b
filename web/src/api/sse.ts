// A text/event-stream parser (the WHATWG "event stream interpretation"), fed with decoded
// text chunks as they arrive from fetch(): EventSource cannot send an Authorization
// header, so the UI reads streams with the typed client and parses them here. Pure.

export interface SseEvent {
  kind: "event";
  /** The `event:` field, "message" when none was sent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen so far (as EventSource's lastEventId), "" if none. */
  id: string;
}

export interface SseComment {
  kind: "comment";
  text: string;
}

export type SseMessage = SseEvent | SseComment;

export class SseParser {
  private buffer = "";
  private started = false;
  private pendingCR = false;
  private eventType = "";
  private data: string[] = [];
  private hasData = false;
  /** The last event id (kept across events, as the spec says). */
  lastEventId = "";
  /** The reconnection delay the server asked for (`retry:`), if any. */
  retryMs: number | null = null;

  /** Parse another chunk; returns the events and comments it completed. */
  feed(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A "\r\n" split across chunks: the "\n" belongs to the line the "\r" ended.
    if (this.pendingCR && text.startsWith("\n")) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === "\r") {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === "\n") i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.hasData) {
        out.push({ kind: "event", event: this.eventType || "message", data: this.data.join("\n"), id: this.lastEventId });
      }
      this.eventType = "";
      this.data = [];
      this.hasData = false;
      return;
    }
    if (line.startsWith(":")) {
      out.push({ kind: "comment", text: line.slice(1).replace(/^ /, "") });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }
}
