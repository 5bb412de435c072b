import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Dialog } from "./Dialog";
import {
  MATCH_OPS,
  SILENCE_DURATIONS,
  formatMatcher,
  labelsMatch,
  matcherProblem,
  type MatchOp,
  type MatcherDraft,
} from "./matchers";

type Alert = Schemas["AlertOut"];
type Silence = Schemas["SilenceOut"];

export interface SilenceFormProps {
  /** Where the matchers start (an alert's labels, or empty for a new silence). */
  initial: MatcherDraft[];
  /** What it is for, in the title: "Silence CheckoutHighErrorRate". */
  title?: string;
  /** Open alerts, to show which of them the silence would mute. */
  openAlerts?: Alert[];
  onClose: () => void;
  onCreated?: (silence: Silence) => void;
}

/** Create a silence: matchers (prefilled from an alert's labels), duration, comment. */
export function SilenceForm({ initial, title = "New silence", openAlerts, onClose, onCreated }: SilenceFormProps) {
  const id = useId();
  const queryClient = useQueryClient();
  const [matchers, setMatchers] = useState<MatcherDraft[]>(initial.length ? initial : [{ name: "", op: "=", value: "" }]);
  const [minutes, setMinutes] = useState(120);
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: Schemas["SilenceIn"]) => call(api.POST("/api/alerting/silences", { body })),
    onSuccess: (silence) => {
      void queryClient.invalidateQueries({ queryKey: ["alerts"] });
      onCreated?.(silence);
    },
  });

  const update = (i: number, patch: Partial<MatcherDraft>) =>
    setMatchers((all) => all.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const problems = matchers.map(matcherProblem).filter((p): p is string => p !== null);
  const muted = openAlerts && problems.length === 0 && matchers.length > 0
    ? openAlerts.filter((a) => labelsMatch(a.labels, matchers))
    : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (matchers.length === 0) return setProblem("Add at least one matcher.");
    if (problems.length > 0) return setProblem(problems[0] ?? null);
    if (!comment.trim()) return setProblem("Say why (the comment is shown to whoever finds the silence).");
    setProblem(null);
    create.mutate({
      matchers: matchers.map(formatMatcher),
      ends_at: new Date(Date.now() + minutes * 60_000).toISOString(),
      comment: comment.trim(),
    });
  }

  return (
    <Dialog title={title} onClose={onClose}>
      <form className="silence-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Matchers — alerts matching all of them are silenced</legend>
          <ul className="matcher-list">
            {matchers.map((m, i) => (
              <li key={i} className="matcher-row">
                <input
                  aria-label={`Matcher ${i + 1} label`}
                  value={m.name}
                  onChange={(e) => update(i, { name: e.target.value })}
                  placeholder="label"
                />
                <select aria-label={`Matcher ${i + 1} operator`} value={m.op} onChange={(e) => update(i, { op: e.target.value as MatchOp })}>
                  {MATCH_OPS.map((op) => (
                    <option key={op} value={op}>
                      {op}
                    </option>
                  ))}
                </select>
                <input
                  aria-label={`Matcher ${i + 1} value`}
                  value={m.value}
                  onChange={(e) => update(i, { value: e.target.value })}
                  placeholder="value"
                />
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove matcher ${m.name || i + 1}`}
                  onClick={() => setMatchers((all) => all.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setMatchers((all) => [...all, { name: "", op: "=", value: "" }])}>
            Add matcher
          </button>
          <p className="muted small" aria-live="polite">
            <code>{matchers.map(formatMatcher).join(", ") || "no matchers"}</code>
            {muted && ` — mutes ${muted.length} of the ${openAlerts?.length ?? 0} open alerts`}
          </p>
        </fieldset>
        <div className="form-grid">
          <label htmlFor={`${id}-duration`}>Duration</label>
          <select id={`${id}-duration`} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {SILENCE_DURATIONS.map((d) => (
              <option key={d.minutes} value={d.minutes}>
                {d.label}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-comment`}>Comment</label>
          <textarea
            id={`${id}-comment`}
            rows={2}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            placeholder="Why: e.g. deploying the fix, CHG-1234"
          />
        </div>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        {create.isError && <ErrorBanner error={create.error} title="The silence was not created" />}
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create silence"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
