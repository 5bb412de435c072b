import { describe, expect, it } from "vitest";
import { entryFromEvent, mergeTimeline, newestId, type Entry } from "./timeline";

const entry = (id: number, extra: Partial<Entry> = {}): Entry => ({
  id,
  incident_id: 1,
  at: "2025-01-01T00:00:00Z",
  kind: "update",
  author: "ana",
  message: `entry ${id}`,
  ...extra,
});

describe("mergeTimeline", () => {
  it("keeps each entry once, in id order, whatever order they arrive in", () => {
    const loaded = [entry(1), entry(2), entry(5)];
    const merged = mergeTimeline(loaded, [entry(5), entry(3), entry(2), entry(7), entry(3)]);
    expect(merged.map((e) => e.id)).toEqual([1, 2, 3, 5, 7]);
    expect(newestId(merged)).toBe(7);
  });

  it("returns the same array when nothing is new (no re-render)", () => {
    const loaded = [entry(1), entry(2)];
    expect(mergeTimeline(loaded, [entry(2), entry(1)])).toBe(loaded);
    expect(mergeTimeline(loaded, [])).toBe(loaded);
  });

  it("keeps the richer copy: the loaded one with detail beats a streamed one without", () => {
    const streamed = [entry(4)];
    const merged = mergeTimeline(streamed, [entry(4, { detail: { channel: "slack" } })]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.detail).toEqual({ channel: "slack" });
    expect(mergeTimeline(merged, [entry(4)])).toBe(merged);
  });
});

describe("entryFromEvent", () => {
  it("reads a streamed timeline event and rejects anything else", () => {
    const data = JSON.stringify({ type: "timeline", id: 9, incident_id: 2, at: "2025-01-01T00:00:00Z", kind: "status", author: "bo", message: "Resolved", status: "resolved" });
    expect(entryFromEvent(data)).toEqual({ id: 9, incident_id: 2, at: "2025-01-01T00:00:00Z", kind: "status", author: "bo", message: "Resolved", status: "resolved" });
    expect(entryFromEvent("not json")).toBeNull();
    expect(entryFromEvent(JSON.stringify({ incident_id: 2 }))).toBeNull();
  });
});
