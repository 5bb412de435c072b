import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { session } from "../../auth/session";
import { renderAt } from "../../test/render";
import { LiveTimeline } from "./LiveTimeline";

// Rendering through the router and react-query takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };

const entry = (id: number, message: string, kind = "update") => ({
  id,
  incident_id: 5,
  at: new Date(Date.now() - (10 - id) * 1000).toISOString(),
  kind,
  author: "ana@example.com",
  message,
  detail: {},
});

/** A fake server: the timeline as JSON, the SSE stream as a body the test writes into. */
function fakeServer() {
  const encoder = new TextEncoder();
  const streams: { headers: Headers; push: (text: string) => void }[] = [];
  const posted: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname === "/api/incidents/5/timeline") {
        return Response.json({ items: [entry(1, "Incident opened", "created"), entry(2, "Paging Ana", "notification")], next_cursor: null });
      }
      if (url.pathname === "/api/incidents/5/stream") {
        let controller!: ReadableStreamDefaultController<Uint8Array>;
        const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
        streams.push({ headers: request.headers, push: (text) => controller.enqueue(encoder.encode(text)) });
        return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
      }
      if (url.pathname === "/api/incidents/5/updates" && request.method === "POST") {
        posted.push(await request.json());
        return Response.json(entry(4, "Pool raised to 40"), { status: 201 });
      }
      return Response.json({ items: [], next_cursor: null });
    }),
  );
  return { streams, posted };
}

const frame = (id: number, message: string) =>
  `event: timeline\nid: ${id}\ndata: ${JSON.stringify({ ...entry(id, message), detail: undefined, type: "timeline", status: "investigating" })}\n\n`;

const messages = () => within(screen.getByRole("list", { name: /Incident timeline/ })).getAllByRole("listitem").map((li) => li.querySelector(".timeline-message")?.textContent);

describe("LiveTimeline", SLOW, () => {
  it("loads the timeline, follows the stream from the newest entry, and shows each entry once", async () => {
    session.start("war-room-token", "ana@example.com", 3600);
    const server = fakeServer();
    renderAt("/incidents/5", <LiveTimeline incidentId={5} canRespond onDeleted={() => undefined} />);
    expect(await screen.findByText("Paging Ana")).toBeTruthy();

    await waitFor(() => expect(server.streams).toHaveLength(1));
    const stream = server.streams[0]!;
    expect(stream.headers.get("Authorization")).toBe("Bearer war-room-token");
    expect(stream.headers.get("Last-Event-ID")).toBe("2");
    stream.push("retry: 3000\n: connected\n\n");
    expect(await screen.findByText("Live")).toBeTruthy();

    // A new entry, then one already loaded (a replay after a reconnect): shown once each.
    stream.push(frame(3, "Checkout errors above 50%"));
    stream.push(frame(2, "Paging Ana") + ": keep-alive\n\n");
    expect(await screen.findByText("Checkout errors above 50%")).toBeTruthy();
    expect(messages()).toEqual(["Checkout errors above 50%", "Paging Ana", "Incident opened"]);

    // A war-room update: shown from the POST's answer, and once more from the stream — once.
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("War-room update"), "Pool raised to 40");
    await user.click(screen.getByRole("button", { name: "Post update" }));
    expect(await screen.findByText("Pool raised to 40")).toBeTruthy();
    expect(server.posted).toEqual([{ message: "Pool raised to 40", kind: "update" }]);
    stream.push(frame(4, "Pool raised to 40"));
    stream.push(frame(5, "Error rate back to 0.2%"));
    expect(await screen.findByText("Error rate back to 0.2%")).toBeTruthy();
    expect(messages()).toEqual(["Error rate back to 0.2%", "Pool raised to 40", "Checkout errors above 50%", "Paging Ana", "Incident opened"]);
    expect((screen.getByLabelText("War-room update") as HTMLTextAreaElement).value).toBe("");

    // Pages can be hidden from the view.
    await user.click(screen.getByLabelText("Hide pages"));
    expect(messages()).not.toContain("Paging Ana");
  });

  it("says so when the incident is deleted while open", async () => {
    session.start("t", "ana@example.com", 3600);
    const server = fakeServer();
    const onDeleted = vi.fn();
    renderAt("/incidents/5", <LiveTimeline incidentId={5} canRespond={false} onDeleted={onDeleted} />);
    await waitFor(() => expect(server.streams).toHaveLength(1));
    expect(screen.queryByLabelText("War-room update")).toBeNull();
    server.streams[0]!.push('event: deleted\ndata: {"type":"deleted","incident_id":5}\n\n');
    await waitFor(() => expect(onDeleted).toHaveBeenCalledTimes(1));
  });
});
