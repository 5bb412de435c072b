import { CodeBlock } from "../../components/CodeBlock";
import { KEY_PLACEHOLDER, snippets } from "./snippets";

export function serverUrl(): string {
  return globalThis.location?.origin ?? "http://localhost:8310";
}

/** Copy-paste configuration for OpenTelemetry, Prometheus, Alertmanager and friends,
 * with this server's URL (as your browser reaches it) filled in. */
export function Connect({ apiKey }: { apiKey?: string }) {
  const url = serverUrl();
  return (
    <section aria-labelledby="connect-title">
      <h2 id="connect-title">Connect your tools</h2>
      <p>
        Everything below points at <code>{url}</code>.{" "}
        {apiKey ? (
          <>The snippets carry the key you just created.</>
        ) : (
          <>
            Replace <code>{KEY_PLACEHOLDER}</code> (or set <code>SENTINEL_INGEST_KEY</code>) with an API key that has the <code>ingest</code> scope — create one under API keys.
          </>
        )}
      </p>
      {snippets(url, apiKey ?? KEY_PLACEHOLDER).map((s) => (
        <section key={s.id} className="panel" aria-labelledby={`snippet-${s.id}`}>
          <header className="panel-head">
            <h3 id={`snippet-${s.id}`}>{s.title}</h3>
            <span className="muted small">{s.where}</span>
          </header>
          <CodeBlock label={`${s.title}: ${s.where}`} code={s.code} />
          {s.note && <p className="muted small">{s.note}</p>}
        </section>
      ))}
    </section>
  );
}
