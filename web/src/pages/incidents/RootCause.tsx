import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatMs, formatPercent, formatTime } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { keys, refreshIncident, type Incident } from "./common";

type Suggestion = Schemas["SuggestionOut"];
type Evidence = Record<string, unknown>;

/** Suggestions shown before "Show all": the best few carry the answer. */
const SHOWN = 8;

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Evidence | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Evidence) : null);

/** Suspects from telemetry with their evidence and score, and the responders' recorded
 * root cause (a suggestion can fill the form). */
export function RootCause({ incident, canRespond }: { incident: Incident; canRespond: boolean }) {
  const queryClient = useQueryClient();
  const recorded = incident.root_cause as { summary?: string; service?: string | null; category?: string | null; author?: string; at?: string } | null;
  const [summary, setSummary] = useState("");
  const [service, setService] = useState("");
  const [category, setCategory] = useState("");
  const [showAll, setShowAll] = useState(false);
  const suggestions = useQuery({
    queryKey: keys.suggestions(incident.id),
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}/root-cause/suggestions", { params: { path: { incident_id: incident.id } }, signal })),
    staleTime: 60_000,
  });
  const record = useMutation({
    mutationFn: () =>
      call(
        api.POST("/api/incidents/{incident_id}/root-cause", {
          params: { path: { incident_id: incident.id } },
          body: { summary: summary.trim(), service: service.trim() || null, category: category.trim() || null },
        }),
      ),
    onSuccess: (updated) => {
      setSummary("");
      setService("");
      setCategory("");
      queryClient.setQueryData(keys.detail(incident.id), updated);
      void refreshIncident(queryClient, incident.id);
    },
  });
  const use = (s: Suggestion) => {
    setSummary(s.summary);
    setService(s.service ?? "");
    document.getElementById(`root-cause-summary-${incident.id}`)?.focus();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (summary.trim()) record.mutate();
  };

  return (
    <section className="panel" aria-labelledby="root-cause-title">
      <header className="panel-head">
        <h2 id="root-cause-title">Root cause</h2>
        {suggestions.data && (
          <span className="muted small">
            window {formatTime(suggestions.data.window_start)} – {formatTime(suggestions.data.window_end)}
          </span>
        )}
      </header>
      {recorded?.summary ? (
        <div className="recorded">
          <p>
            <strong>Recorded:</strong> {recorded.summary}
          </p>
          <p className="muted small">
            {recorded.service && <>service {recorded.service} · </>}
            {recorded.category && <>{recorded.category} · </>}
            {recorded.author && <>by {recorded.author}</>}
          </p>
        </div>
      ) : (
        <p className="muted small">Not recorded yet.</p>
      )}
      {canRespond && (
        <form className="form-grid" onSubmit={submit} aria-label="Record the root cause">
          <label className="span-all">
            Root cause
            <textarea id={`root-cause-summary-${incident.id}`} rows={2} value={summary} onChange={(e) => setSummary(e.target.value)} maxLength={20_000} />
          </label>
          <label>
            Service
            <input value={service} onChange={(e) => setService(e.target.value)} maxLength={200} />
          </label>
          <label>
            Category
            <input value={category} onChange={(e) => setCategory(e.target.value)} maxLength={100} placeholder="capacity, deploy, dependency…" />
          </label>
          <div className="form-actions">
            <button type="submit" disabled={record.isPending || !summary.trim()}>
              Record root cause
            </button>
          </div>
          {record.isError && <ErrorBanner error={record.error} title="The root cause was not recorded" />}
        </form>
      )}

      <h3>Suggested from telemetry</h3>
      {suggestions.isPending ? (
        <Loading label="Looking at traces, logs and alerts" />
      ) : suggestions.isError ? (
        <ErrorBanner error={suggestions.error} what="suggestions" onRetry={() => suggestions.refetch()} />
      ) : suggestions.data.suggestions.length === 0 ? (
        <p className="muted small">Nothing moved in the incident window: no service's error rate or latency rose, no new log pattern, no linked alert.</p>
      ) : (
        <>
          <ol className="suggestions">
            {suggestions.data.suggestions.slice(0, showAll ? undefined : SHOWN).map((s, i) => (
              <SuggestionCard key={`${s.kind}:${s.subject}`} suggestion={s} rank={i + 1} onUse={canRespond ? () => use(s) : undefined} />
            ))}
          </ol>
          {suggestions.data.suggestions.length > SHOWN && (
            <button type="button" onClick={() => setShowAll((v) => !v)} aria-expanded={showAll}>
              {showAll ? `Show the top ${SHOWN}` : `Show all ${suggestions.data.suggestions.length} suggestions`}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function SuggestionCard({ suggestion: s, rank, onUse }: { suggestion: Suggestion; rank: number; onUse?: () => void }) {
  const search = keepTimeRange(useLocation().search);
  const e = s.evidence as Evidence;
  const span = obj(e.first_failing_span);
  const traces = list(e.example_traces).map(obj).filter((t): t is Evidence => !!t && !!str(t.trace_id));
  const reasons = list(e.reasons).map(String);
  const callPath = list(e.call_path).map(String);
  const edges = list(e.failing_edges).map(obj).filter((x): x is Evidence => !!x);
  const logSignals = list(e.log_signals).map(String);
  const alertIds = [...list(e.alerts), ...(num(e.alert_id) !== null ? [e.alert_id] : [])].map(Number).filter(Number.isInteger);
  const patternId = num(e.pattern_id);
  return (
    <li className="suggestion" aria-label={`Suggestion ${rank}: ${s.subject}`}>
      <div className="item-main">
        <strong>{s.subject}</strong>
        <span className="badge">{s.kind.replace(/_/g, " ")}</span>
        {e.moved_first === true && <span className="badge severity-high">moved first</span>}
        {e.deepest_failing === true && <span className="badge severity-critical">deepest failing</span>}
        <span className="score">
          <meter min={0} max={1} value={s.score} aria-label={`score ${s.score.toFixed(2)}`} /> {s.score.toFixed(2)}
        </span>
      </div>
      <p>{s.summary}</p>
      <dl className="evidence small">
        {reasons.length > 0 && (
          <>
            <dt>Why</dt>
            <dd>{reasons.join("; ")}</dd>
          </>
        )}
        {(num(e.peak_error_rate) ?? 0) > 0 && (
          <>
            <dt>Error rate</dt>
            <dd>
              {formatPercent(num(e.baseline_error_rate))} before → {formatPercent(num(e.peak_error_rate))} at peak
              {num(e.errors) !== null && ` (${e.errors} errors in ${e.calls} calls)`}
            </dd>
          </>
        )}
        {num(e.peak_p95_ms) !== null && (
          <>
            <dt>p95</dt>
            <dd>
              {formatMs(num(e.baseline_p95_ms))} before → {formatMs(num(e.peak_p95_ms))} at peak
            </dd>
          </>
        )}
        {callPath.length > 1 && (
          <>
            <dt>Call path</dt>
            <dd>{callPath.join(" → ")}</dd>
          </>
        )}
        {edges.length > 0 && (
          <>
            <dt>Failing calls</dt>
            <dd>
              {edges.map((edge) => `${edge.caller} → ${edge.callee}: ${edge.errors}/${edge.calls} (${formatPercent(num(edge.error_rate))})`).join("; ")}
            </dd>
          </>
        )}
        {span && str(span.trace_id) && (
          <>
            <dt>First failing span</dt>
            <dd>
              <Link to={{ pathname: `/traces/${span.trace_id}`, search: withParam(search, "span", str(span.span_id)) }}>
                {str(span.operation) ?? "span"} in trace {String(span.trace_id).slice(0, 12)}…
              </Link>
              {str(span.ended_at) && <span className="muted"> ended {formatTime(String(span.ended_at))}</span>}
            </dd>
          </>
        )}
        {traces.length > 0 && (
          <>
            <dt>Example failing traces</dt>
            <dd>
              <ul className="inline-list">
                {traces.map((t) => (
                  <li key={String(t.trace_id)}>
                    <Link to={{ pathname: `/traces/${t.trace_id}`, search }}>{str(t.root) ?? String(t.trace_id).slice(0, 12)}</Link>
                    {num(t.duration_ms) !== null && <span className="muted"> {formatMs(num(t.duration_ms))}</span>}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {str(e.template) && (
          <>
            <dt>Log pattern</dt>
            <dd>
              <code>{String(e.template)}</code>
            </dd>
          </>
        )}
        {(patternId !== null || logSignals.length > 0) && (
          <>
            <dt>Logs</dt>
            <dd>
              {patternId !== null && (
                <Link to={{ pathname: "/logs", search: logsSearch(search, `pattern:${patternId}`) }}>
                  Open pattern {patternId} in Logs
                </Link>
              )}
              {logSignals.length > 0 && <span> {logSignals.join("; ")}</span>}
              {s.service && patternId === null && (
                <>
                  {" "}
                  <Link to={{ pathname: "/logs", search: logsSearch(search, `service:${s.service} level:error`) }}>{s.service}'s errors in Logs</Link>
                </>
              )}
            </dd>
          </>
        )}
        {alertIds.length > 0 && (
          <>
            <dt>Alerts</dt>
            <dd>
              <ul className="inline-list">
                {alertIds.map((id) => (
                  <li key={id}>
                    <Link to={{ pathname: `/alerts/${id}`, search }}>alert {id}</Link>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
      {onUse && (
        <button type="button" className="link-button" onClick={onUse}>
          Use as root cause
        </button>
      )}
    </li>
  );
}

/** A Logs page link running `query` in the search language (not as a question). */
function logsSearch(search: string, query: string): string {
  return withParam(withParam(search, "q", query), "nl", "false");
}

function withParam(search: string, name: string, value: string | null): string {
  const params = new URLSearchParams(search);
  if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}
