import { CodeBlock } from "../../components/CodeBlock";

/** Snippets that get telemetry and alerts into this Sentinel (shown in empty states). */
export function origin(): string {
  return globalThis.location?.origin ?? "http://localhost:8310";
}

const KEY_HINT =
  "An ingest API key: printed by the first start of the server, or create one with " +
  "`sentinel create-api-key --name my-app --scopes ingest` (or in Settings → API keys).";

export function SendTraces() {
  const base = origin();
  const env = [
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${base}`,
    "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
    'export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $SENTINEL_INGEST_KEY"',
  ].join("\n");
  const curl = [
    `curl -X POST ${base}/api/tracing/traces \\`,
    '  -H "Authorization: Bearer $SENTINEL_INGEST_KEY" -H "Content-Type: application/json" \\',
    '  -d "{\\"service_name\\": \\"checkout\\", \\"operation_name\\": \\"GET /cart\\", \\"start_time\\": \\"$(date -u +%FT%TZ)\\", \\"status_code\\": 200}"',
  ].join("\n");
  return (
    <>
      <p>
        Point any OpenTelemetry SDK or Collector at <code>{base}/v1/traces</code> (OTLP/HTTP, protobuf or JSON).
        With the SDK's standard variables:
      </p>
      <CodeBlock label="OpenTelemetry environment variables" code={env} />
      <p>Or send one span by hand:</p>
      <CodeBlock label="curl: send a span" code={curl} />
      <p className="muted small">{KEY_HINT}</p>
    </>
  );
}

export function SendAlert() {
  const curl = [
    `curl -X POST ${origin()}/api/alerts \\`,
    '  -H "Authorization: Bearer $SENTINEL_INGEST_KEY" -H "Content-Type: application/json" \\',
    '  -d \'{"service_name": "checkout", "alert_name": "HighErrorRate", "severity": "high", "title": "5xx above 5%"}\'',
  ].join("\n");
  return (
    <>
      <p>
        Alerts arrive from Prometheus/Alertmanager (point them at <code>{origin()}/api/v2/alerts</code>), PagerDuty
        Events v2 senders, webhooks, SLO burn rates and alert rules. Or raise one by hand:
      </p>
      <CodeBlock label="curl: raise an alert" code={curl} />
    </>
  );
}

export function DefineSlo() {
  const curl = [
    `curl -X POST ${origin()}/api/slo \\`,
    '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\',
    '  -d \'{"name": "checkout-availability", "service": "checkout", "target": 0.999, "window": "30d", "sli": {"source": "span_ratio"}}\'',
  ].join("\n");
  return (
    <>
      <p>Define an SLO on a service's spans (the share of requests without an error):</p>
      <CodeBlock label="curl: define an SLO" code={curl} />
    </>
  );
}
