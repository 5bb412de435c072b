import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { fakeApi, renderAt } from "../../test/render";
import { youSummary } from "./NowTab";
import { describeStep } from "./PoliciesTab";
import { colourSlots, layoutTimeline, twoWeeks } from "./timeline";

const iso = (s: string) => new Date(s).toISOString();
const START = new Date("2026-04-06T00:00:00Z");
const END = new Date("2026-04-20T00:00:00Z"); // two weeks: 1000 units / 336 h

describe("timeline layout", () => {
  const layout = layoutTimeline({
    start: START,
    end: END,
    width: 1000,
    now: new Date("2026-04-07T12:00:00Z"),
    layers: [
      {
        index: 0,
        name: "weekly",
        shifts: [
          { user_id: 1, start: "2026-03-30T09:00:00Z", end: "2026-04-13T09:00:00Z" }, // began before the window
          { user_id: 2, start: "2026-04-13T09:00:00Z", end: "2026-04-27T09:00:00Z" }, // runs past it
        ],
      },
      { index: 1, name: "", shifts: [] },
    ],
    overrides: [
      { id: 5, user_id: 3, replaces_user_id: null, start: "2026-04-08T00:00:00Z", end: "2026-04-09T00:00:00Z" },
      { id: 6, user_id: 2, replaces_user_id: 1, start: "2026-04-10T00:00:00Z", end: "2026-04-10T12:00:00Z" },
      { id: 7, user_id: 3, replaces_user_id: null, start: "2026-03-01T00:00:00Z", end: "2026-03-02T00:00:00Z" }, // before: dropped
    ],
    final: [
      { user_id: 1, start: iso("2026-04-06T00:00:00Z"), end: iso("2026-04-08T00:00:00Z"), layer: 0 },
      { user_id: 3, start: iso("2026-04-08T00:00:00Z"), end: iso("2026-04-09T00:00:00Z"), layer: null },
      { user_id: 1, start: iso("2026-04-09T00:00:00Z"), end: iso("2026-04-12T00:00:00Z"), layer: 0 },
      { user_id: 2, start: iso("2026-04-13T09:00:00Z"), end: iso("2026-04-20T00:00:00Z"), layer: 0 },
    ],
    gaps: [{ start: iso("2026-04-12T00:00:00Z"), end: iso("2026-04-13T09:00:00Z") }],
  });
  const perHour = 1000 / 336;

  it("draws a lane per layer, then the overrides, then the final lane", () => {
    expect(layout.lanes.map((l) => [l.id, l.label, l.kind])).toEqual([
      ["layer-0", "weekly", "layer"],
      ["layer-1", "Layer 2", "layer"],
      ["overrides", "Overrides", "overrides"],
      ["final", "Final", "final"],
    ]);
  });

  it("clips shifts to the window and places them by time", () => {
    const [first, second] = layout.lanes[0]!.bars;
    expect(first!.x).toBe(0);
    expect(first!.clippedStart).toBe(true);
    expect(first!.width).toBeCloseTo((7 * 24 + 9) * perHour, 6);
    expect(second!.x).toBeCloseTo((7 * 24 + 9) * perHour, 6);
    expect(second!.x + second!.width).toBeCloseTo(1000, 6);
    expect(second!.clippedEnd).toBe(true);
  });

  it("shows overrides and swaps in their lane and highlights override segments in the final lane", () => {
    const overrides = layout.lanes[2]!.bars;
    expect(overrides.map((b) => [b.kind, b.userId, b.replacesUserId])).toEqual([
      ["override", 3, null],
      ["swap", 2, 1],
    ]);
    expect(overrides[0]!.x).toBeCloseTo(48 * perHour, 6);
    expect(overrides[0]!.width).toBeCloseTo(24 * perHour, 6);
    const final = layout.lanes[3]!.bars;
    expect(final.map((b) => b.kind)).toEqual(["shift", "override", "shift", "gap", "shift"]);
  });

  it("marks gaps where nobody is on call, in time order with the shifts", () => {
    const gap = layout.lanes[3]!.bars.find((b) => b.kind === "gap")!;
    expect(gap.userId).toBeNull();
    expect(gap.x).toBeCloseTo(6 * 24 * perHour, 6);
    expect(gap.width).toBeCloseTo(33 * perHour, 6);
  });

  it("ticks every day and puts now on the axis", () => {
    expect(layout.ticks.length).toBeGreaterThanOrEqual(14);
    expect(layout.nowX).toBeCloseTo(36 * perHour, 6);
  });

  it("shows two weeks from midnight and gives each person a colour", () => {
    const { start, end } = twoWeeks(new Date(2026, 3, 8, 15, 30));
    expect([start.getHours(), start.getMinutes(), start.getDate()]).toEqual([0, 0, 8]);
    expect(end.getDate()).toBe(22);
    expect([...colourSlots([4, 2, 4, 9])]).toEqual([
      [4, 1],
      [2, 2],
      [9, 3],
    ]);
  });
});

describe("on call now", () => {
  const schedules = [{ id: 1, name: "Primary" }, { id: 2, name: "Secondary" }] as never[];
  const now = Date.parse("2026-04-07T12:00:00Z");
  const shifts = (user: number, start: string, end: string) =>
    ({ schedule_id: 1, start: "", end: "", gaps: [], layers: [], shifts: [{ user_id: user, start, end, layer: 0 }] }) as never;

  it("says where you are on call now, or your next shift", () => {
    expect(youSummary(7, schedules, [shifts(7, "2026-04-07T09:00:00Z", "2026-04-08T09:00:00Z"), undefined], now)).toMatch(
      /^You are on call now: Primary until /,
    );
    expect(youSummary(7, schedules, [undefined, shifts(7, "2026-04-09T09:00:00Z", "2026-04-10T09:00:00Z")], now)).toMatch(
      /^You are not on call now\. Your next shift: Secondary from .* \(in 2 d\)\.$/,
    );
    expect(youSummary(7, schedules, [shifts(8, "2026-04-07T09:00:00Z", "2026-04-08T09:00:00Z")], now)).toBe(
      "You are not on call now, nor in the next two weeks.",
    );
  });

  it("renders who is on call per schedule with you marked, and the timeline", async () => {
    session.start("t", "ada@example.com", 3600);
    const day = twoWeeks();
    const at = (h: number) => new Date(day.start.getTime() + h * 3_600_000).toISOString();
    const calls = fakeApi((c) => {
      if (c.path === "/api/auth/me")
        return { body: { kind: "user", id: 7, name: "ada", role: "editor", scopes: [], permissions: ["read", "respond", "write"], team_ids: [], user: null } };
      if (c.path === "/api/users")
        return { body: { items: [{ id: 7, name: "Ada Lovelace" }, { id: 8, name: "Grace Hopper" }], next_cursor: null } };
      if (c.path === "/api/oncall/schedules")
        return {
          body: {
            items: [
              { id: 2, name: "Secondary", time_zone: "UTC", layers: [{}], description: "", team_id: null, created_at: at(0), updated_at: at(0) },
              { id: 1, name: "Primary", time_zone: "UTC", layers: [{}], description: "", team_id: null, created_at: at(0), updated_at: at(0) },
            ],
            next_cursor: null,
          },
        };
      const onCall = c.path.match(/^\/api\/oncall\/schedules\/(\d)\/on-call$/);
      if (onCall) {
        const user = onCall[1] === "1" ? 7 : null;
        return { body: { schedule_id: Number(onCall[1]), at: at(1), user_id: user, shift: user ? { user_id: 7, start: at(-2), end: at(30), layer: 0 } : null } };
      }
      if (c.path.endsWith("/shifts"))
        return {
          body: {
            schedule_id: 1,
            start: day.start.toISOString(),
            end: day.end.toISOString(),
            shifts: [
              { user_id: 7, start: at(0), end: at(30), layer: 0 },
              { user_id: 8, start: at(30), end: at(34), layer: null },
            ],
            gaps: [{ start: at(34), end: at(336) }],
            layers: [{ index: 0, name: "weekly", priority: 0, shifts: [{ user_id: 7, start: at(0), end: at(40) }] }],
          },
        };
      if (c.path.endsWith("/overrides"))
        return { body: { items: [{ id: 3, schedule_id: 1, user_id: 8, replaces_user_id: null, start: at(30), end: at(34), created_by: "ada" }], next_cursor: null } };
      return undefined;
    });
    renderAt("/oncall");
    const now = await screen.findByRole("region", { name: "On call now" }, { timeout: 5000 });
    const primary = await within(now).findByRole("row", { name: /Primary/ });
    await waitFor(() => expect(primary.textContent).toContain("Ada Lovelace"));
    expect(within(primary).getByText("you")).toBeTruthy();
    await waitFor(() => expect(within(now).getByRole("row", { name: /Secondary/ }).textContent).toContain("nobody (gap)"));
    // Schedules oldest first: Primary's timeline is shown.
    const timeline = await screen.findByRole("region", { name: "Primary: the next two weeks" });
    expect(await within(timeline).findByRole("img", { name: "Primary, next two weeks: 2 final shifts, 1 overrides, 1 gaps" })).toBeTruthy();
    expect(timeline.querySelectorAll('[data-lane="final"] [data-kind="override"]')).toHaveLength(1);
    expect(timeline.querySelectorAll('[data-lane="final"] [data-kind="gap"]')).toHaveLength(1);
    expect(within(timeline).getByRole("table", { name: "Overrides and swaps" }).textContent).toContain("Grace Hopper");

    // An override for someone else, from the form.
    const user = userEvent.setup();
    await user.click(within(timeline).getByRole("button", { name: "Add override" }));
    const dialog = screen.getByRole("dialog", { name: "Override on Primary" });
    await user.selectOptions(within(dialog).getByLabelText("On call"), "8");
    await user.click(within(dialog).getByRole("button", { name: "Create override" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/oncall/schedules/1/overrides")).toBe(true));
    const body = calls.find((c) => c.method === "POST")!.body as { user_id: number; start: string; end: string; replaces_user_id: null };
    expect(body.user_id).toBe(8);
    expect(Date.parse(body.end) - Date.parse(body.start)).toBe(4 * 3_600_000);
    expect(body.replaces_user_id).toBeNull();
  });
});

describe("escalation steps", () => {
  it("reads like a runbook", () => {
    const names = {
      users: new Map([[1, "Ada"], [2, "Bob"]]),
      schedules: new Map([[3, "Primary"]]),
      teams: new Map([[4, "Shop"]]),
      policies: new Map([[5, "Managers"]]),
    };
    expect(describeStep({ kind: "notify_schedule", targets: [3], wait_minutes: 0 }, names)).toBe("Notify whoever is on call in Primary");
    expect(describeStep({ kind: "wait", targets: [], wait_minutes: 10 }, names)).toBe("Wait 10 min");
    expect(describeStep({ kind: "notify_users", targets: [1, 2, 9], wait_minutes: 0 }, names)).toBe("Notify Ada, Bob, user 9");
    expect(describeStep({ kind: "notify_team", targets: [4], wait_minutes: 0 }, names)).toBe("Notify every member of team Shop");
    expect(describeStep({ kind: "escalate_to", targets: [5], wait_minutes: 0 }, names)).toBe("Escalate to policy Managers");
  });
});
