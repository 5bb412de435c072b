import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { SilenceCreated } from "./SilenceCreated";
import { SilenceForm } from "./SilenceForm";

type Silence = Schemas["SilenceOut"];
const STATES = ["active", "pending", "expired"] as const;

/** Silences by state (active, pending, expired), with expire and a new-silence form. */
export function SilencesTab() {
  const [params, setParams] = useSearchParams();
  const state = (STATES as readonly string[]).includes(params.get("state") ?? "") ? params.get("state")! : "active";
  const canRespond = can(useMe().data, "respond");
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Silence | null>(null);
  const silences = useQuery({
    queryKey: ["alerts", "silences"],
    queryFn: ({ signal }) => call(api.GET("/api/alerting/silences", { params: { query: { limit: 1000 } }, signal })),
    refetchInterval: 30_000,
  });
  const expire = useMutation({
    mutationFn: (id: string) => call(api.DELETE("/api/alerting/silences/{silence_id}", { params: { path: { silence_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });

  const items = silences.data?.items ?? [];
  const count = (s: string) => items.filter((x) => x.state === s).length;
  const shown = items
    .filter((s) => s.state === state)
    .sort((a, b) => (state === "expired" ? b.ends_at.localeCompare(a.ends_at) : a.ends_at.localeCompare(b.ends_at)));
  const pick = (s: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (s === "active") next.delete("state");
      else next.set("state", s);
      return next;
    });

  return (
    <section aria-labelledby="silences-title">
      <div className="panel-head">
        <h2 id="silences-title">Silences</h2>
        {canRespond && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New silence
          </button>
        )}
      </div>
      <div className="segmented" role="group" aria-label="Silence state">
        {STATES.map((s) => (
          <button key={s} type="button" aria-pressed={s === state} onClick={() => pick(s)}>
            {s} <span className="count">{silences.data ? count(s) : "…"}</span>
          </button>
        ))}
      </div>
      {created && <SilenceCreated silence={created} onDismiss={() => setCreated(null)} />}
      {expire.isError && <ErrorBanner error={expire.error} title="The silence was not expired" />}
      {silences.isPending ? (
        <Loading label="Loading silences" />
      ) : silences.isError ? (
        <ErrorBanner error={silences.error} what="silences" onRetry={() => silences.refetch()} />
      ) : shown.length === 0 ? (
        <EmptyState title={`No ${state} silences`}>
          <p>Silence an alert from its “Silence…” button on the Active tab, or create one here with label matchers.</p>
        </EmptyState>
      ) : (
        <table className="data">
          <caption className="visually-hidden">{state} silences</caption>
          <thead>
            <tr>
              <th scope="col">Matchers</th>
              <th scope="col">Starts</th>
              <th scope="col">Ends</th>
              <th scope="col">Created by</th>
              <th scope="col">Comment</th>
              {canRespond && state !== "expired" && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={s.id}>
                <th scope="row">
                  {s.matchers.map((m) => (
                    <code key={m} className="matcher">
                      {m}
                    </code>
                  ))}
                </th>
                <td>
                  <time dateTime={s.starts_at} title={formatTime(s.starts_at)}>
                    {formatRelative(s.starts_at)}
                  </time>
                </td>
                <td>
                  <time dateTime={s.ends_at} title={formatTime(s.ends_at)}>
                    {formatRelative(s.ends_at)}
                  </time>
                </td>
                <td>{s.created_by}</td>
                <td>{s.comment}</td>
                {canRespond && state !== "expired" && (
                  <td>
                    <button
                      type="button"
                      disabled={expire.isPending}
                      aria-label={`Expire silence ${s.matchers.join(", ")}`}
                      onClick={() => expire.mutate(s.id)}
                    >
                      Expire
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <SilenceForm
          initial={[]}
          onClose={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setCreated(s);
          }}
        />
      )}
    </section>
  );
}
