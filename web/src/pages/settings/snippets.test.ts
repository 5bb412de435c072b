import { describe, expect, it } from "vitest";
import { KEY_PLACEHOLDER, parseTarget, snippets } from "./snippets";

const byId = (url: string, key?: string) => Object.fromEntries(snippets(url, key).map((s) => [s.id, s.code]));

describe("snippets", () => {
  it("fill in this server's URL for every tool", () => {
    const s = byId("http://sentinel.internal:8310");
    expect(s["otel-sdk"]).toContain("export OTEL_EXPORTER_OTLP_ENDPOINT=http://sentinel.internal:8310\n");
    expect(s["otel-sdk"]).toContain('export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $SENTINEL_INGEST_KEY"');
    expect(s["otel-sdk"]).toContain("OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf");
    expect(s["otel-collector"]).toContain("    endpoint: http://sentinel.internal:8310\n");
    expect(s["otel-collector"]).toContain('Authorization: "Bearer ${env:SENTINEL_INGEST_KEY}"');
    expect(s.prometheus).toBe(
      [
        "alerting:",
        "  alertmanagers:",
        "    - api_version: v2",
        "      scheme: http",
        "      static_configs:",
        '        - targets: ["sentinel.internal:8310"]',
        "      authorization:",
        "        type: Bearer",
        `        credentials: "${KEY_PLACEHOLDER}"`,
      ].join("\n"),
    );
    expect(s.alertmanager).toContain('- url: "http://sentinel.internal:8310/api/integrations/alertmanager"');
    expect(s.alertmanager).toContain("send_resolved: true");
    expect(s.pagerduty).toContain("http://sentinel.internal:8310/v2/enqueue");
  });

  it("spell out the default port and the scheme Prometheus needs, and a path prefix", () => {
    expect(parseTarget("https://sentinel.example.com")).toEqual({
      base: "https://sentinel.example.com",
      scheme: "https",
      hostPort: "sentinel.example.com:443",
      pathPrefix: "",
    });
    const s = byId("https://ops.example.com/sentinel/");
    expect(s.prometheus).toContain("scheme: https");
    expect(s.prometheus).toContain('path_prefix: "/sentinel"');
    expect(s.prometheus).toContain('targets: ["ops.example.com:443"]');
    expect(s["otel-sdk"]).toContain("OTEL_EXPORTER_OTLP_ENDPOINT=https://ops.example.com/sentinel\n");
    expect(parseTarget("http://[::1]:8310").hostPort).toBe("[::1]:8310");
  });

  it("carry a real key when one is given, quoted for YAML", () => {
    const s = byId("http://127.0.0.1:8310", "snt_abc123");
    expect(s.prometheus).toContain('credentials: "snt_abc123"');
    expect(s.alertmanager).toContain('credentials: "snt_abc123"');
    expect(s["otel-collector"]).toContain('Authorization: "Bearer snt_abc123"');
    expect(s["otel-sdk"]).toContain('"Authorization=Bearer snt_abc123"');
    expect(s.webhook).toContain("/api/integrations/webhook/snt_abc123 ");
    expect(s.pagerduty).toContain('"routing_key": "snt_abc123"');
  });
});
