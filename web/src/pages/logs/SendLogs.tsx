import { CodeBlock } from "../../components/CodeBlock";
import { origin } from "../overview/HowToSend";

/** How to get logs into this Sentinel (empty states of the logs page). */
export function SendLogs() {
  const base = origin();
  const curl = [
    `curl -X POST ${base}/api/logs/ingest \\`,
    '  -H "Authorization: Bearer $SENTINEL_INGEST_KEY" -H "Content-Type: application/json" \\',
    '  -d \'{"service_name": "checkout", "level": "error", "message": "payment timeout after 30s"}\'',
  ].join("\n");
  return (
    <>
      <p>
        Point an OpenTelemetry SDK or Collector at <code>{base}/v1/logs</code>, Promtail/Alloy at{" "}
        <code>{base}/loki/api/v1/push</code>, or send a line by hand:
      </p>
      <CodeBlock label="curl: send a log line" code={curl} />
    </>
  );
}
