import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { api, call } from "../../api/client";
import { EMPTY_FILTERS, filterProblems, type Sort, type Status, type TraceFilters } from "./filters";

/** The search form. Its fields start from the URL's filters; Search writes them back. */
export function SearchForm({ initial, onSearch }: { initial: TraceFilters; onSearch: (filters: TraceFilters) => void }) {
  const id = useId();
  const [draft, setDraft] = useState<TraceFilters>({
    ...initial,
    attributes: initial.attributes.length ? initial.attributes : [""],
  });
  const [submitted, setSubmitted] = useState(false);
  const services = useQuery({
    queryKey: ["tracing", "services"],
    queryFn: ({ signal }) => call(api.GET("/api/tracing/services", { signal })),
    staleTime: 60_000,
  });
  const operations = useQuery({
    queryKey: ["tracing", "operations", draft.service],
    queryFn: ({ signal }) =>
      call(
        api.GET("/api/tracing/services/{service_name}/operations", {
          params: { path: { service_name: draft.service } },
          signal,
        }),
      ),
    enabled: draft.service !== "",
    staleTime: 60_000,
    retry: false,
  });
  const problems = submitted ? filterProblems(draft) : {};
  const set = <K extends keyof TraceFilters>(key: K, value: TraceFilters[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const setAttribute = (index: number, value: string) =>
    setDraft((d) => ({ ...d, attributes: d.attributes.map((a, i) => (i === index ? value : a)) }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(filterProblems(draft)).length > 0) return;
    onSearch({ ...draft, attributes: draft.attributes.filter((a) => a.trim()) });
  };
  const reset = () => {
    setSubmitted(false);
    setDraft({ ...EMPTY_FILTERS, attributes: [""] });
    onSearch(EMPTY_FILTERS);
  };
  const serviceNames = services.data ?? [];
  const knownService = draft.service === "" || serviceNames.includes(draft.service);

  return (
    <form className="tr-form panel" onSubmit={submit} aria-label="Search traces" noValidate>
      <div className="tr-fields">
        <div className="tr-field">
          <label htmlFor={`${id}-service`}>Service</label>
          <select
            id={`${id}-service`}
            value={draft.service}
            onChange={(e) => setDraft((d) => ({ ...d, service: e.target.value, operation: "" }))}
          >
            <option value="">All services</option>
            {!knownService && <option value={draft.service}>{draft.service}</option>}
            {serviceNames.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="tr-field tr-wide">
          <label htmlFor={`${id}-operation`}>Operation</label>
          <input
            id={`${id}-operation`}
            list={`${id}-operations`}
            value={draft.operation}
            placeholder={draft.service ? "Any operation" : "Any operation (exact name)"}
            onChange={(e) => set("operation", e.target.value)}
          />
          <datalist id={`${id}-operations`}>
            {(operations.data ?? []).map((o) => (
              <option key={o.operation} value={o.operation} />
            ))}
          </datalist>
        </div>
        <div className="tr-field tr-narrow">
          <label htmlFor={`${id}-min`}>Min duration</label>
          <input
            id={`${id}-min`}
            value={draft.min}
            placeholder="e.g. 500ms"
            aria-invalid={problems.min ? true : undefined}
            aria-describedby={problems.min ? `${id}-min-problem` : undefined}
            onChange={(e) => set("min", e.target.value)}
          />
          {problems.min && (
            <span id={`${id}-min-problem`} className="field-error" role="alert">
              {problems.min}
            </span>
          )}
        </div>
        <div className="tr-field tr-narrow">
          <label htmlFor={`${id}-max`}>Max duration</label>
          <input
            id={`${id}-max`}
            value={draft.max}
            placeholder="e.g. 2s"
            aria-invalid={problems.max ? true : undefined}
            aria-describedby={problems.max ? `${id}-max-problem` : undefined}
            onChange={(e) => set("max", e.target.value)}
          />
          {problems.max && (
            <span id={`${id}-max-problem`} className="field-error" role="alert">
              {problems.max}
            </span>
          )}
        </div>
        <div className="tr-field">
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={draft.status} onChange={(e) => set("status", e.target.value as Status)}>
            <option value="">Any</option>
            <option value="error">With errors</option>
            <option value="ok">Without errors</option>
          </select>
        </div>
        <div className="tr-field">
          <label htmlFor={`${id}-sort`}>Order</label>
          <select id={`${id}-sort`} value={draft.sort} onChange={(e) => set("sort", e.target.value as Sort)}>
            <option value="start">Newest first</option>
            <option value="duration">Slowest first</option>
          </select>
        </div>
      </div>
      <fieldset className="tr-attributes">
        <legend>
          Attributes <span className="muted small">key=value, key!=value or key (span, event or resource attributes)</span>
        </legend>
        {draft.attributes.map((value, index) => (
          <div key={index} className="tr-attribute">
            <input
              aria-label={`Attribute filter ${index + 1}`}
              value={value}
              placeholder="http.response.status_code=503"
              onChange={(e) => setAttribute(index, e.target.value)}
            />
            {draft.attributes.length > 1 && (
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove attribute filter ${index + 1}`}
                onClick={() => setDraft((d) => ({ ...d, attributes: d.attributes.filter((_, i) => i !== index) }))}
              >
                ×
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => setDraft((d) => ({ ...d, attributes: [...d.attributes, ""] }))}>
          Add attribute filter
        </button>
        {problems.attributes && (
          <span className="field-error" role="alert">
            {problems.attributes}
          </span>
        )}
      </fieldset>
      <div className="tr-form-actions">
        <button type="submit" className="primary">
          Search
        </button>
        <button type="button" onClick={reset}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
