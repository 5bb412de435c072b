import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { CodeBlock } from "../../components/CodeBlock";
import { Loading } from "../../components/Loading";
import { LoadError } from "./AdminOnly";
import { serverUrl } from "./Connect";

const INBOUND: [string, string, string][] = [
  ["OTLP/HTTP traces", "POST", "/v1/traces"],
  ["OTLP/HTTP logs", "POST", "/v1/logs"],
  ["Prometheus / Alertmanager v2 API", "POST", "/api/v2/alerts"],
  ["Alertmanager webhook receiver", "POST", "/api/integrations/alertmanager"],
  ["PagerDuty Events API v2", "POST", "/v2/enqueue"],
  ["Generic webhook (key in the path)", "POST", "/api/integrations/webhook/<key>"],
  ["Loki push", "POST", "/loki/api/v1/push"],
  ["Brief's alert API", "POST", "/api/alerts"],
];

/** How pages go out (SENTINEL_NOTIFY_* on the server; secrets show only as set / not
 * set) and where integrations send to this server. */
export function Channels() {
  const channels = useQuery({
    queryKey: ["settings", "channels"],
    queryFn: ({ signal }) => call(api.GET("/api/notify/channels", { signal })),
  });
  if (channels.isError) return <LoadError error={channels.error} what="notification channels" onRetry={() => channels.refetch()} />;
  if (channels.isPending) return <Loading label="Loading channels" />;
  const base = serverUrl();
  return (
    <section aria-labelledby="channels-title">
      <h2 id="channels-title">Notification channels</h2>
      <p className="muted">
        Set on the server with <code>SENTINEL_NOTIFY_*</code> environment variables (restart to apply). People choose channels with their contact methods on the On-call page. Links in
        pages point at <code>{channels.data.public_url}</code> (<code>SENTINEL_NOTIFY_PUBLIC_URL</code>).
      </p>
      <div className="channel-grid">
        {channels.data.channels.map((c) => (
          <section key={c.channel} className="panel" aria-labelledby={`channel-${c.channel}`}>
            <header className="panel-head">
              <h3 id={`channel-${c.channel}`}>{c.label}</h3>
              {c.configured ? <span className="ok-text">ready</span> : <span className="bad">not set up</span>}
            </header>
            <p>{c.summary}</p>
            <table className="data small">
              <tbody>
                {Object.entries(c.settings).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">
                      <code>{name}</code>
                    </th>
                    <td>{value === null || value === "" ? <span className="muted">not set</span> : String(value)}</td>
                  </tr>
                ))}
                {Object.entries(c.secrets).map(([name, set]) => (
                  <tr key={name}>
                    <th scope="row">
                      <code>{name}</code>
                    </th>
                    <td>{set ? "set (hidden)" : <span className="muted">not set</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {Object.entries(c.callback_urls ?? {}).map(([name, url]) => (
              <div key={name}>
                <p className="small muted">{name.replace(/_/g, " ")}</p>
                <CodeBlock label={`${c.label}: ${name.replace(/_/g, " ")}`} code={url} />
              </div>
            ))}
          </section>
        ))}
      </div>
      <section className="panel" aria-labelledby="inbound-title">
        <header className="panel-head">
          <h3 id="inbound-title">Integration endpoints</h3>
        </header>
        <p className="muted small">
          Each takes an API key with the <code>ingest</code> scope (create one under API keys): as <code>Authorization: Bearer</code>, as PagerDuty's routing key, or in the path for the
          generic webhook. Ready-made configs are under Connect your tools.
        </p>
        <table className="data">
          <tbody>
            {INBOUND.map(([what, method, path]) => (
              <tr key={path}>
                <th scope="row">{what}</th>
                <td>
                  <code>
                    {method} {base}
                    {path}
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
