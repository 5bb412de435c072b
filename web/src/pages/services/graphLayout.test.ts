import { describe, expect, it } from "vitest";
import { assignLayers, errorLevel, layoutGraph, nodeTraffic, orderLayers, radiusFor, type GraphEdge } from "./graphLayout";

const edge = (caller: string, callee: string, calls = 10, errors = 0): GraphEdge => ({
  caller,
  callee,
  call_count: calls,
  error_count: errors,
  error_rate: calls ? errors / calls : 0,
  traced: true,
});

// The demo shop: frontend → auth → redis; frontend → inventory → db; frontend → checkout →
// {redis, inventory, payments → payments-db}.
const SHOP = [
  edge("frontend", "auth"),
  edge("auth", "redis"),
  edge("frontend", "inventory"),
  edge("inventory", "inventory-db"),
  edge("frontend", "checkout"),
  edge("checkout", "redis"),
  edge("checkout", "inventory"),
  edge("checkout", "payments", 10, 1),
  edge("payments", "payments-db"),
];
const SERVICES = ["auth", "checkout", "frontend", "inventory", "inventory-db", "payments", "payments-db", "redis"];

describe("assignLayers", () => {
  it("puts every callee to the right of all its callers (longest path)", () => {
    const layers = assignLayers(SERVICES, SHOP);
    expect(layers.get("frontend")).toBe(0);
    expect(layers.get("checkout")).toBe(1);
    expect(layers.get("inventory")).toBe(2); // called by frontend (0) and checkout (1)
    expect(layers.get("payments-db")).toBe(3);
    for (const e of SHOP) expect(layers.get(e.callee)!).toBeGreaterThan(layers.get(e.caller)!);
  });

  it("breaks cycles instead of looping, and keeps unconnected services", () => {
    const layers = assignLayers(["a", "b", "c", "lonely"], [edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("b", "b")]);
    expect([...layers.keys()].sort()).toEqual(["a", "b", "c", "lonely"]);
    expect(layers.get("lonely")).toBe(0);
    // One edge of the cycle is dropped for layering; the others still go rightwards.
    expect(new Set(layers.values()).size).toBeGreaterThanOrEqual(3);
  });
});

describe("orderLayers", () => {
  it("orders a layer by its neighbours, removing a crossing", () => {
    // a1 → b2, a2 → b1: ordering b by name would cross the two edges.
    const edges = [edge("a1", "b2"), edge("a2", "b1")];
    const rows = orderLayers(assignLayers(["a1", "a2", "b1", "b2"], edges), edges);
    expect(rows[0]).toEqual(["a1", "a2"]);
    expect(rows[1]).toEqual(["b2", "b1"]);
  });
});

describe("layoutGraph", () => {
  it("sizes nodes by traffic and colours edges by error rate", () => {
    const traffic = nodeTraffic(SERVICES, SHOP, new Map([["frontend", 1000], ["payments", 10]]));
    const layout = layoutGraph(SERVICES, SHOP, traffic);
    const node = (id: string) => layout.nodes.find((n) => n.id === id)!;
    expect(layout.nodes).toHaveLength(SERVICES.length);
    expect(node("frontend").r).toBeGreaterThan(node("payments").r);
    expect(node("frontend").x).toBeLessThan(node("checkout").x);
    const pay = layout.edges.find((e) => e.edge.callee === "payments")!;
    expect(pay.level).toBe("bad"); // 10%
    expect(layout.edges.find((e) => e.edge.callee === "auth")!.level).toBe("ok");
    // Everything fits in the drawing.
    for (const n of layout.nodes) {
      expect(n.x - n.r).toBeGreaterThanOrEqual(0);
      expect(n.x + n.r).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.r).toBeLessThanOrEqual(layout.height);
    }
    // No two nodes overlap.
    for (const a of layout.nodes)
      for (const b of layout.nodes)
        if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(a.r + b.r);
  });

  it("routes a call across several layers through its own lane, clear of the nodes it passes", () => {
    const layout = layoutGraph(SERVICES, SHOP, new Map());
    const skip = layout.edges.find((e) => e.edge.caller === "frontend" && e.edge.callee === "inventory")!;
    const between = layout.nodes.filter((n) => n.layer === 1); // auth, checkout
    expect(between.length).toBe(2);
    expect(skip.mid.x).toBe(between[0]!.x);
    for (const n of between) expect(Math.abs(skip.mid.y - n.y)).toBeGreaterThan(n.r + 10);
    expect(skip.path.match(/C/g)).toHaveLength(2); // frontend → lane → inventory
  });

  it("traffic of an untraced callee is the calls made to it", () => {
    const traffic = nodeTraffic(["app", "db"], [edge("app", "db", 42), edge("app", "db", 8)], new Map([["app", 5]]));
    expect(traffic.get("db")).toBe(50);
    expect(traffic.get("app")).toBe(5);
  });
});

describe("errorLevel and radiusFor", () => {
  it("uses the overview's thresholds and area-proportional radii", () => {
    expect(errorLevel(0.009)).toBe("ok");
    expect(errorLevel(0.01)).toBe("warn");
    expect(errorLevel(0.05)).toBe("bad");
    expect(radiusFor(0, 100, 10, 30)).toBe(10);
    expect(radiusFor(100, 100, 10, 30)).toBe(30);
    expect(radiusFor(25, 100, 10, 30)).toBe(20); // a quarter of the traffic: half the extra radius
  });
});
