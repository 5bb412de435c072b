import { CodeBlock } from "../../components/CodeBlock";
import { DefineSlo, origin } from "../overview/HowToSend";

/** How to create an SLO (the list's empty state). */
export function DefineSloHelp() {
  const measurements = [
    `curl -X POST ${origin()}/api/slo/1/measurements \\`,
    '  -H "Authorization: Bearer $SENTINEL_INGEST_KEY" -H "Content-Type: application/json" \\',
    '  -d \'{"good": 990, "total": 1000}\'',
  ].join("\n");
  return (
    <>
      <DefineSlo />
      <p>
        Or count events yourself (<code>"sli": {"{"}"source": "measurements"{"}"}</code>) and post them:
      </p>
      <CodeBlock label="curl: post SLO measurements" code={measurements} />
      <p className="muted small">
        Latency (<code>span_latency</code> with <code>threshold_ms</code>) and PromQL SLIs, calendar windows and OpenSLO
        YAML (<code>POST /api/slo/openslo</code>) work too; see docs/slo.md.
      </p>
    </>
  );
}
