// Copy-paste configuration that points OpenTelemetry, Prometheus, Alertmanager and
// PagerDuty senders at this Sentinel. Pure: the server's URL (as the browser reaches it)
// and the key (or a placeholder) go in, text comes out.

export interface Snippet {
  id: string;
  title: string;
  /** Where it goes, e.g. "prometheus.yml". */
  where: string;
  code: string;
  note?: string;
}

export const KEY_PLACEHOLDER = "<ingest key>";

interface Target {
  base: string;
  scheme: "http" | "https";
  /** host:port, with the default port spelled out (Prometheus needs it). */
  hostPort: string;
  /** "" or "/prefix" when Sentinel is served under a path. */
  pathPrefix: string;
}

export function parseTarget(serverUrl: string): Target {
  const url = new URL(serverUrl);
  const scheme = url.protocol === "https:" ? "https" : "http";
  const port = url.port || (scheme === "https" ? "443" : "80");
  const host = url.hostname.includes(":") && !url.hostname.startsWith("[") ? `[${url.hostname}]` : url.hostname;
  const pathPrefix = url.pathname.replace(/\/+$/, "");
  return { base: `${url.origin}${pathPrefix}`, scheme, hostPort: `${host}:${port}`, pathPrefix };
}

/** YAML double-quoted scalar (keys may hold any character). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

export function snippets(serverUrl: string, key: string = KEY_PLACEHOLDER): Snippet[] {
  const t = parseTarget(serverUrl);
  const placeholder = key === KEY_PLACEHOLDER;
  const shellKey = placeholder ? "$SENTINEL_INGEST_KEY" : key;
  return [
    {
      id: "otel-sdk",
      title: "OpenTelemetry SDK (any language)",
      where: "the service's environment",
      code: [
        ...(placeholder ? ["export SENTINEL_INGEST_KEY='<ingest key>'"] : []),
        `export OTEL_EXPORTER_OTLP_ENDPOINT=${t.base}`,
        "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        `export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ${shellKey}"`,
        "export OTEL_SERVICE_NAME=my-service",
      ].join("\n"),
      note: `Traces go to ${t.base}/v1/traces and logs to ${t.base}/v1/logs (OTLP/HTTP, protobuf or JSON). SDKs that want percent-encoded header values take Authorization=Bearer%20<key>.`,
    },
    {
      id: "otel-collector",
      title: "OpenTelemetry Collector",
      where: "otel-collector.yaml",
      code: [
        "exporters:",
        "  otlphttp/sentinel:",
        `    endpoint: ${t.base}`,
        "    headers:",
        `      Authorization: ${placeholder ? '"Bearer ${env:SENTINEL_INGEST_KEY}"' : yamlString(`Bearer ${key}`)}`,
        "    compression: gzip",
        "service:",
        "  pipelines:",
        "    traces:",
        "      receivers: [otlp]",
        "      processors: [batch]",
        "      exporters: [otlphttp/sentinel]",
        "    logs:",
        "      receivers: [otlp]",
        "      processors: [batch]",
        "      exporters: [otlphttp/sentinel]",
      ].join("\n"),
    },
    {
      id: "prometheus",
      title: "Prometheus alerting",
      where: "prometheus.yml",
      code: [
        "alerting:",
        "  alertmanagers:",
        "    - api_version: v2",
        `      scheme: ${t.scheme}`,
        ...(t.pathPrefix ? [`      path_prefix: ${yamlString(t.pathPrefix)}`] : []),
        "      static_configs:",
        `        - targets: [${yamlString(t.hostPort)}]`,
        "      authorization:",
        "        type: Bearer",
        `        credentials: ${yamlString(key)}`,
      ].join("\n"),
      note: "Sentinel speaks the Alertmanager v2 API: Prometheus sends its alerts straight here. The first one can take a minute to arrive.",
    },
    {
      id: "alertmanager",
      title: "An existing Alertmanager (webhook receiver)",
      where: "alertmanager.yml",
      code: [
        "route:",
        "  receiver: sentinel",
        "receivers:",
        "  - name: sentinel",
        "    webhook_configs:",
        `      - url: ${yamlString(`${t.base}/api/integrations/alertmanager`)}`,
        "        send_resolved: true",
        "        http_config:",
        "          authorization:",
        `            credentials: ${yamlString(key)}`,
      ].join("\n"),
      note: "Keep send_resolved: true — alerts from the webhook do not expire on their own.",
    },
    {
      id: "pagerduty",
      title: "PagerDuty Events API v2 senders",
      where: "the sender's PagerDuty integration",
      code: [
        `curl -X POST ${t.base}/v2/enqueue -H 'Content-Type: application/json' -d '{`,
        `  "routing_key": ${JSON.stringify(key).replace(/'/g, `'\\''`)}, "event_action": "trigger", "dedup_key": "checkout-5xx",`,
        '  "payload": {"summary": "Checkout 5xx above 5%", "source": "web-3", "severity": "error"}}\'',
      ].join("\n"),
      note: `Point the sender's Events API URL at ${t.base}/v2/enqueue; the routing key is a Sentinel API key with the ingest scope.`,
    },
    {
      id: "webhook",
      title: "Scripts and cron jobs (generic webhook)",
      where: "a shell",
      code: [
        `curl -X POST ${t.base}/api/integrations/webhook/${placeholder ? "$SENTINEL_INGEST_KEY" : encodeURIComponent(key)} \\`,
        "  -H 'Content-Type: application/json' \\",
        '  -d \'{"alert_name": "BackupFailed", "service_name": "backups", "severity": "high", "title": "Nightly backup failed"}\'',
      ].join("\n"),
      note: 'The key in the path is the credential, so plain curl works; send "status": "resolved" to resolve.',
    },
  ];
}
