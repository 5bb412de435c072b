import { useEffect, useId, useState, type FormEvent } from "react";
import { queryRange, queryText, type StructuredQuery } from "./queryText";
import type { Mode } from "./useLogsParams";

const EXAMPLES = [
  'timeout "connection reset" -healthcheck service:api level:error,fatal',
  "http.status_code:503 -service:batch",
  "errors from payments in the last hour",
];

export interface QueryBarProps {
  q: string;
  mode: Mode;
  onSearch: (q: string, mode: Mode) => void;
}

/** The query box: the search language or a question in plain words. */
export function QueryBar({ q, mode, onSearch }: QueryBarProps) {
  const id = useId();
  const [text, setText] = useState(q);
  const [how, setHow] = useState<Mode>(mode);
  useEffect(() => setText(q), [q]);
  useEffect(() => setHow(mode), [mode]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text, how);
  };
  return (
    <form className="query-bar" role="search" onSubmit={submit}>
      <label htmlFor={`${id}-q`} className="visually-hidden">
        Log query
      </label>
      <input
        id={`${id}-q`}
        type="search"
        value={text}
        placeholder='e.g. timeout service:api level:error — or "errors from payments in the last hour"'
        onChange={(event) => setText(event.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
      <label htmlFor={`${id}-mode`} className="visually-hidden">
        Read the query as
      </label>
      <select id={`${id}-mode`} value={how} onChange={(event) => setHow(event.target.value as Mode)}>
        <option value="auto">Detect</option>
        <option value="language">Search language</option>
        <option value="natural">Natural language</option>
      </select>
      <button type="submit" className="primary">
        Search
      </button>
      <details className="query-help">
        <summary>Syntax</summary>
        <p>
          Words match by prefix, <code>"phrases"</code> in order, <code>-word</code> excludes; <code>service:</code>,{" "}
          <code>level:</code>, <code>trace_id:</code>, <code>pattern:</code>, any other <code>key:value</code> matches an
          attribute. Or ask in plain words.
        </p>
        <ul>
          {EXAMPLES.map((example) => (
            <li key={example}>
              <button type="button" className="link-button" onClick={() => onSearch(example, "auto")}>
                {example}
              </button>
            </li>
          ))}
        </ul>
      </details>
    </form>
  );
}

export interface RanAsProps {
  query: StructuredQuery;
  natural: boolean;
  interpretation: string[];
  /** Edit the structured query in the bar. */
  onEdit?: (text: string) => void;
}

/** What the server ran: the structured query (as search-language text) and, for a
 * question, how each part was read. */
export function RanAs({ query, natural, interpretation, onEdit }: RanAsProps) {
  const text = queryText(query);
  const { start, end } = queryRange(query);
  return (
    <div className="ran-as" aria-label="Query that ran" role="note">
      <span className="badge">{natural ? "natural language" : "search language"}</span>
      <span className="muted">Ran:</span>
      <code className="ran-query" data-testid="structured-query">
        {text || "(every line)"}
      </code>
      {start && (
        <span className="muted small">
          from {start.toLocaleString()}
          {end ? ` to ${end.toLocaleString()}` : ""}
        </span>
      )}
      {natural && onEdit && text && (
        <button type="button" className="link-button small" onClick={() => onEdit(text)}>
          Edit as query
        </button>
      )}
      {natural && interpretation.length > 0 && (
        <ul className="interpretation small muted">
          {interpretation.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
