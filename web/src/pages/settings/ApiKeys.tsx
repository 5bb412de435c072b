import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { CodeBlock } from "../../components/CodeBlock";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { LoadError } from "./AdminOnly";
import { Connect } from "./Connect";

type Scope = Schemas["ApiKeyCreate"]["scopes"][number];
const SCOPES: { scope: Scope; what: string }[] = [
  { scope: "ingest", what: "send telemetry and alerts" },
  { scope: "read", what: "read everything but admin pages" },
  { scope: "write", what: "read, respond, change configuration" },
  { scope: "admin", what: "everything" },
];

/** API keys: list, create with scopes (the key is shown once, with copy), revoke. */
export function ApiKeys() {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["ingest"]);
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<Schemas["ApiKeyCreated"] | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const keys = useQuery({
    queryKey: ["settings", "api-keys"],
    queryFn: ({ signal }) => call(api.GET("/api/api-keys", { params: { query: { limit: 500 } }, signal })),
  });
  const create = useMutation({
    mutationFn: () =>
      call(api.POST("/api/api-keys", { body: { name: name.trim(), scopes, expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : null } })),
    onSuccess: (key) => {
      setCreated(key);
      setName("");
      void queryClient.invalidateQueries({ queryKey: ["settings", "api-keys"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (keyId: number) => call(api.DELETE("/api/api-keys/{key_id}", { params: { path: { key_id: keyId } } })),
    onSettled: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: ["settings", "api-keys"] });
    },
  });
  const toggle = (scope: Scope) => setScopes((current) => (current.includes(scope) ? current.filter((s) => s !== scope) : [...current, scope]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() && scopes.length) create.mutate();
  };

  if (keys.isError) return <LoadError error={keys.error} what="API keys" onRetry={() => keys.refetch()} />;
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {created && (
        <div className="secret-once" role="region" aria-label="New API key">
          <p>
            <strong>Key “{created.name}” created.</strong> Copy it now: it is shown only this once.
          </p>
          <CodeBlock label="The new API key" code={created.key} />
          <div className="button-row">
            <button type="button" onClick={() => setCreated(null)}>
              I have copied it
            </button>
          </div>
          {created.scopes.includes("ingest") && (
            <details>
              <summary>Snippets with this key</summary>
              <Connect apiKey={created.key} />
            </details>
          )}
        </div>
      )}
      <form className="panel form-grid" onSubmit={submit} aria-label="Create an API key">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="prometheus" />
        </label>
        <fieldset className="span-all checkbox-row">
          <legend className="small muted">Scopes</legend>
          {SCOPES.map(({ scope, what }) => (
            <label key={scope} title={what}>
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} />
              {scope} <span className="muted small">({what})</span>
            </label>
          ))}
        </fieldset>
        <label>
          Expires (optional)
          <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending || !name.trim() || scopes.length === 0}>
            Create key
          </button>
        </div>
        {create.isError && <ErrorBanner error={create.error} title="The key was not created" />}
      </form>
      {keys.isPending ? (
        <Loading label="Loading API keys" />
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key starts</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((key) => (
              <tr key={key.id} className={key.revoked_at ? "revoked" : undefined}>
                <th scope="row">{key.name}</th>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{key.scopes.join(", ")}</td>
                <td title={formatTime(key.created_at)}>{formatRelative(key.created_at)}</td>
                <td>{key.last_used_at ? formatRelative(key.last_used_at) : <span className="muted">never</span>}</td>
                <td>{key.expires_at ? formatTime(key.expires_at) : <span className="muted">never</span>}</td>
                <td>
                  {key.revoked_at ? (
                    <span className="muted">revoked {formatRelative(key.revoked_at)}</span>
                  ) : confirming === key.id ? (
                    <span className="button-row">
                      <button type="button" className="primary" onClick={() => revoke.mutate(key.id)} disabled={revoke.isPending}>
                        Yes, revoke
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setConfirming(key.id)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoke.isError && <ErrorBanner error={revoke.error} title="The key was not revoked" />}
    </section>
  );
}
