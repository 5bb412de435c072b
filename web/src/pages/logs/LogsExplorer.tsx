import { useId, type KeyboardEvent } from "react";
import { Link, useLocation } from "react-router";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { AnomaliesTab } from "./AnomaliesTab";
import { ErrorsTab } from "./ErrorsTab";
import { LiveTail } from "./LiveTail";
import { PatternsTab } from "./PatternsTab";
import { QueryBar } from "./QueryBar";
import { SearchResults } from "./SearchResults";
import { TABS, useLogsParams, type Tab } from "./useLogsParams";

const TAB_LABEL: Record<Tab, string> = { results: "Lines", patterns: "Patterns", anomalies: "Anomalies", errors: "Errors" };

/** /logs: search (query language or a question), volume, lines, live tail, and the
 * patterns / anomalies / errors views. Everything is in the URL. */
export function LogsExplorer() {
  usePageTitle("Logs");
  const id = useId();
  const [params, update] = useLogsParams();
  const location = useLocation();
  const time = keepTimeRange(location.search);
  const searchFor = (q: string) => update({ q, mode: "language", tab: "results" });
  const onEdit = (text: string) => update({ q: text, mode: "language" });
  const onTabKey = (event: KeyboardEvent, index: number) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length]!;
    update({ tab: next });
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };

  return (
    <section aria-labelledby={`${id}-title`} className="logs-page">
      <h1 id={`${id}-title`}>Logs</h1>
      <QueryBar q={params.q} mode={params.mode} onSearch={(q, mode) => update({ q, mode, tab: "results" })} />
      {params.traceId && (
        <div className="notice trace-filter">
          Lines of trace <code>{params.traceId}</code> (at any time).{" "}
          <Link to={{ pathname: `/traces/${params.traceId}`, search: time }}>Open the trace</Link> ·{" "}
          <button type="button" className="link-button" onClick={() => update({ traceId: null })}>
            Show all lines
          </button>
        </div>
      )}
      <div className="tabs-row">
        <div role="tablist" aria-label="Log views" className="tabs">
          {TABS.map((tab, index) => (
            <button
              key={tab}
              id={`${id}-tab-${tab}`}
              type="button"
              role="tab"
              aria-selected={params.tab === tab}
              aria-controls={`${id}-panel`}
              tabIndex={params.tab === tab ? 0 : -1}
              onClick={() => update({ tab })}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              {TAB_LABEL[tab]}
            </button>
          ))}
        </div>
        {params.tab === "results" && (
          <button
            type="button"
            className={params.live ? "live-toggle on" : "live-toggle"}
            aria-pressed={params.live}
            onClick={() => update({ live: !params.live })}
          >
            {params.live ? "Stop live tail" : "Live tail"}
          </button>
        )}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${params.tab}`} className="tab-panel">
        {params.tab === "results" &&
          (params.live ? <LiveTail params={params} onEdit={onEdit} /> : <SearchResults params={params} onEdit={onEdit} />)}
        {params.tab === "patterns" && <PatternsTab onSearch={searchFor} />}
        {params.tab === "anomalies" && <AnomaliesTab onSearch={searchFor} />}
        {params.tab === "errors" && <ErrorsTab onSearch={searchFor} />}
      </div>
    </section>
  );
}
