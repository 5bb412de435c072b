// Demo-like data through the real API: OTLP/JSON spans for three services calling each
// other (payments failing now and then), alerts, an incident and a burning SLO.
// When `sentinel demo --once` exists, global-setup may use it instead; pages that need more
// data add it here (or in their own spec's beforeAll) through the API, never the database.
import { randomBytes } from "node:crypto";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const attr = (key: string, value: string | number) => ({
  key,
  value: typeof value === "number" ? { intValue: String(value) } : { stringValue: value },
});

interface SpanSpec {
  service: string;
  name: string;
  kind: number;
  startMs: number;
  durationMs: number;
  error?: boolean;
  parent?: string;
  attributes?: Record<string, string | number>;
}

function otlp(traceId: string, spans: (SpanSpec & { spanId: string })[]) {
  const byService = new Map<string, (SpanSpec & { spanId: string })[]>();
  for (const span of spans) byService.set(span.service, [...(byService.get(span.service) ?? []), span]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [attr("service.name", service), attr("deployment.environment", "e2e")] },
      scopeSpans: [
        {
          scope: { name: "sentinel-e2e", version: "1" },
          spans: list.map((s) => ({
            traceId,
            spanId: s.spanId,
            parentSpanId: s.parent ?? "",
            name: s.name,
            kind: s.kind,
            startTimeUnixNano: `${BigInt(Math.round(s.startMs)) * 1_000_000n}`,
            endTimeUnixNano: `${BigInt(Math.round(s.startMs + s.durationMs)) * 1_000_000n}`,
            attributes: Object.entries(s.attributes ?? {}).map(([k, v]) => attr(k, v)),
            status: s.error ? { code: 2, message: "payment declined" } : { code: 0 },
          })),
        },
      ],
    })),
  };
}

/** One request: frontend → checkout → payments (+ a database call). */
function request(startMs: number, fail: boolean) {
  const ids = { root: hex(8), client: hex(8), checkout: hex(8), pay: hex(8), db: hex(8) };
  const total = 80 + Math.random() * 120 + (fail ? 300 : 0);
  return otlp(hex(16), [
    { spanId: ids.root, service: "frontend", name: "GET /checkout", kind: 2, startMs, durationMs: total, error: fail,
      attributes: { "http.request.method": "GET", "http.route": "/checkout", "http.response.status_code": fail ? 502 : 200 } },
    { spanId: ids.client, parent: ids.root, service: "frontend", name: "POST checkout", kind: 3, startMs: startMs + 5, durationMs: total - 10,
      attributes: { "peer.service": "checkout" } },
    { spanId: ids.checkout, parent: ids.client, service: "checkout", name: "POST /checkout", kind: 2, startMs: startMs + 8, durationMs: total - 16, error: fail },
    { spanId: ids.pay, parent: ids.checkout, service: "payments", name: "POST /charge", kind: 2, startMs: startMs + 20, durationMs: total - 40, error: fail },
    { spanId: ids.db, parent: ids.pay, service: "payments", name: "INSERT charges", kind: 3, startMs: startMs + 25, durationMs: 12,
      attributes: { "db.system": "postgresql" } },
  ]);
}

async function send(url: string, path: string, token: string, body: unknown, method = "POST"): Promise<unknown> {
  const response = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`seed: ${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function seed(url: string, ingestKey: string, adminToken: string) {
  const now = Date.now();
  for (let i = 0; i < 40; i++) {
    const startMs = now - 10 * 60_000 + i * 15_000;
    await send(url, "/v1/traces", ingestKey, request(startMs, i % 7 === 3));
  }
  const alertTitle = "Payments error rate above 5%";
  await send(url, "/api/alerts", ingestKey, {
    service_name: "payments",
    alert_name: "PaymentsErrorRate",
    severity: "critical",
    title: alertTitle,
    description: "5xx share of POST /charge over 5 minutes",
    current_value: 0.14,
    threshold_value: 0.05,
  });
  await send(url, "/api/alerts", ingestKey, {
    service_name: "checkout",
    alert_name: "CheckoutLatencyHigh",
    severity: "medium",
    title: "Checkout p95 above 400 ms",
  });
  const incidentTitle = "Checkout failures for card payments";
  await send(url, "/api/incidents", adminToken, {
    title: incidentTitle,
    severity: "high",
    affected_services: ["checkout", "payments"],
    description: "Customers see errors at checkout.",
  });
  const sloName = "payments-availability";
  const slo = (await send(url, "/api/slo", adminToken, {
    name: sloName,
    service: "payments",
    target: 0.999,
    window: "30d",
    sli: { source: "measurements" },
  })) as { id: number };
  await send(url, `/api/slo/${slo.id}/measurements`, ingestKey, {
    measurements: [0, 1, 2].map((m) => ({
      good: 900,
      total: 1000,
      timestamp: new Date(now - m * 60_000).toISOString(),
    })),
  });
  return { services: ["frontend", "checkout", "payments"], alertTitle, incidentTitle, sloName };
}
