import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, call, type Schemas } from "../../api/client";
import { StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { refreshIncident } from "./common";
import { Markdown } from "./markdown";

type Runbook = Schemas["RunbookOut"];
type Step = Runbook["steps"][number];
type Run = Schemas["RunOut"];

const REDACTED = "***";

/** Header values as they may be shown: a secret header's value never is (the API sends
 * "***" for those; anything named secret by the step is masked here too). */
export function visibleHeaders(headers: Record<string, unknown>, secretNames: string[] = []): [string, string][] {
  const secret = new Set(secretNames.map((n) => n.toLowerCase()));
  return Object.entries(headers).map(([name, value]) => [name, secret.has(name.toLowerCase()) || value === REDACTED ? "•••••• (secret)" : String(value)]);
}

/** The incident's runbooks (by its services and alerts): the Markdown, the automated
 * steps with dry run / run, and every run with its result; approve or reject the
 * steps waiting for a responder. */
export function Runbooks({ incidentId, canRespond }: { incidentId: number; canRespond: boolean }) {
  const runbooks = useQuery({
    queryKey: ["incidents", "detail", incidentId, "runbooks"],
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}/runbooks", { params: { path: { incident_id: incidentId } }, signal })),
  });
  const runs = useQuery({
    queryKey: ["incidents", "detail", incidentId, "runs"],
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}/runbook-runs", { params: { path: { incident_id: incidentId } }, signal })),
  });
  return (
    <section className="panel" aria-labelledby="runbooks-title">
      <header className="panel-head">
        <h2 id="runbooks-title">Runbooks</h2>
      </header>
      {runbooks.isPending ? (
        <Loading label="Loading runbooks" />
      ) : runbooks.isError ? (
        <ErrorBanner error={runbooks.error} what="runbooks" onRetry={() => runbooks.refetch()} />
      ) : runbooks.data.length === 0 ? (
        <p className="muted small">
          No runbook matches this incident's services or alerts. Runbooks are attached to services and alert names (<code>POST /api/runbooks</code>).
        </p>
      ) : (
        runbooks.data.map((runbook) => (
          <RunbookCard key={runbook.id} incidentId={incidentId} runbook={runbook} runs={(runs.data ?? []).filter((r) => r.runbook_id === runbook.id)} canRespond={canRespond} />
        ))
      )}
      {runs.isError && <ErrorBanner error={runs.error} what="runbook runs" />}
    </section>
  );
}

function RunbookCard({ incidentId, runbook, runs, canRespond }: { incidentId: number; runbook: Runbook; runs: Run[]; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const after = () => refreshIncident(queryClient, incidentId);
  const run = useMutation({
    mutationFn: ({ step, dryRun }: { step: string; dryRun: boolean }) =>
      call(
        api.POST("/api/incidents/{incident_id}/runbooks/{runbook_id}/steps/{step}/run", {
          params: { path: { incident_id: incidentId, runbook_id: runbook.id, step } },
          body: { dry_run: dryRun },
        }),
      ),
    onSettled: after,
  });
  const decide = useMutation({
    mutationFn: ({ runId, approve }: { runId: number; approve: boolean }) =>
      approve
        ? call(api.POST("/api/incidents/{incident_id}/runbook-runs/{run_id}/approve", { params: { path: { incident_id: incidentId, run_id: runId } } }))
        : call(api.POST("/api/incidents/{incident_id}/runbook-runs/{run_id}/reject", { params: { path: { incident_id: incidentId, run_id: runId } } })),
    onSettled: after,
  });
  const secretsOf = (stepName: string) => Object.keys(runbook.steps.find((s) => s.name === stepName)?.secret_headers ?? {});
  return (
    <article className="runbook" aria-label={`Runbook ${runbook.name}`}>
      <h3>{runbook.name}</h3>
      <p className="muted small">
        {runbook.services.length > 0 && <>services: {runbook.services.join(", ")} </>}
        {runbook.alert_names.length > 0 && <>· alerts: {runbook.alert_names.join(", ")}</>}
      </p>
      {runbook.markdown && (
        <details className="runbook-doc">
          <summary>Read the runbook</summary>
          <Markdown text={runbook.markdown} headingOffset={2} />
        </details>
      )}
      {runbook.steps.length > 0 && (
        <ol className="steps" aria-label="Automated steps">
          {runbook.steps.map((step) => (
            <StepRow key={step.name} step={step} canRespond={canRespond} busy={run.isPending} onRun={(dryRun) => run.mutate({ step: step.name, dryRun })} />
          ))}
        </ol>
      )}
      {run.isError && <ErrorBanner error={run.error} title={runErrorTitle(run.error)} />}
      {decide.isError && <ErrorBanner error={decide.error} title="The decision was not recorded" />}
      {runs.length > 0 && (
        <div className="runs">
          <h4>Runs</h4>
          <ul className="item-list">
            {[...runs].reverse().map((r) => (
              <li key={r.id} className="run" aria-label={`Run ${r.id} of ${r.step}`}>
                <div className="item-main">
                  <StatusBadge status={r.status} />
                  <strong>{r.step}</strong>
                  {r.dry_run && <span className="badge">dry run</span>}
                  {r.response_status !== null && <span className="muted small">HTTP {r.response_status}</span>}
                </div>
                <div className="item-meta">
                  <span>by {r.requested_by}</span>
                  {r.approved_by && <span>decided by {r.approved_by}</span>}
                  <time dateTime={r.created_at} title={formatTime(r.created_at)}>
                    {formatRelative(r.created_at)}
                  </time>
                </div>
                {r.error && <p className="bad small">{r.error}</p>}
                <RequestView request={r.request} secretNames={secretsOf(r.step)} />
                {r.response_excerpt && (
                  <details>
                    <summary className="small">Response</summary>
                    <pre className="md-code">{r.response_excerpt}</pre>
                  </details>
                )}
                {r.status === "pending_approval" && canRespond && (
                  <div className="button-row">
                    <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate({ runId: r.id, approve: true })}>
                      Approve and run
                    </button>
                    <button type="button" disabled={decide.isPending} onClick={() => decide.mutate({ runId: r.id, approve: false })}>
                      Reject
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </article>
  );
}

function runErrorTitle(error: unknown): string {
  if (error instanceof ApiError && error.status === 422) return "The step did not run";
  return "The step could not be started";
}

function StepRow({ step, canRespond, busy, onRun }: { step: Step; canRespond: boolean; busy: boolean; onRun: (dryRun: boolean) => void }) {
  const headers = visibleHeaders({ ...step.headers, ...step.secret_headers }, Object.keys(step.secret_headers));
  return (
    <li className="step">
      <div className="item-main">
        <strong>{step.name}</strong>
        {step.requires_approval && <span className="badge">needs approval</span>}
        {step.auto_run && <span className="badge">auto-run</span>}
      </div>
      <code className="small">
        {step.method} {step.url}
      </code>
      {headers.length > 0 && (
        <ul className="headers small">
          {headers.map(([name, value]) => (
            <li key={name}>
              <code>{name}</code>: {value}
            </li>
          ))}
        </ul>
      )}
      {canRespond && (
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => onRun(true)} aria-label={`Dry run ${step.name}`}>
            Dry run
          </button>
          <button type="button" disabled={busy} onClick={() => onRun(false)} aria-label={`${step.requires_approval ? "Request" : "Run"} ${step.name}`}>
            {step.requires_approval ? "Request run" : "Run"}
          </button>
        </div>
      )}
    </li>
  );
}

function RequestView({ request, secretNames }: { request: Record<string, unknown>; secretNames: string[] }) {
  if (!request || !request.url) return null;
  const headers = request.headers && typeof request.headers === "object" ? visibleHeaders(request.headers as Record<string, unknown>, secretNames) : [];
  return (
    <details>
      <summary className="small">
        Request: <code>{String(request.method ?? "")}</code> <code>{String(request.url)}</code>
      </summary>
      {headers.length > 0 && (
        <ul className="headers small">
          {headers.map(([name, value]) => (
            <li key={name}>
              <code>{name}</code>: {value}
            </li>
          ))}
        </ul>
      )}
      {request.body !== undefined && request.body !== null && <pre className="md-code">{JSON.stringify(request.body, null, 2)}</pre>}
    </details>
  );
}
