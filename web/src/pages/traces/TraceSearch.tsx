import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useId, useMemo, useState, type FormEvent } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { useTimeRange } from "../../components/TimeRangePicker";
import { VirtualTable, type Column } from "../../components/VirtualTable";
import { formatMs, formatRelative } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { SendTraces } from "../overview/HowToSend";
import { DurationScatter } from "./DurationScatter";
import { filterProblems, isFiltered, parseFilters, searchQuery, writeFilters, type TraceFilters } from "./filters";
import { SearchForm } from "./SearchForm";
import { ServiceChips } from "./ServiceChips";

type Hit = Schemas["TraceSummaryOut"];

const PAGE = 100;

/** /traces: the search form (every filter in the URL), a duration scatter of the hits and the hits. */
export function TraceSearch() {
  usePageTitle("Traces");
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const time = useTimeRange();
  const filters = useMemo(() => parseFilters(params), [params]);
  const valid = Object.keys(filterProblems(filters)).length === 0;
  const query = useMemo(() => searchQuery(filters), [filters]);

  const results = useInfiniteQuery({
    queryKey: ["tracing", "search", query, time.key],
    // Later pages keep the first page's window (a relative range moves with time).
    queryFn: async ({ pageParam, signal }) => {
      const window = pageParam.window ?? time.query();
      const page = await call(
        api.GET("/api/tracing/traces", {
          params: { query: { ...query, ...window, limit: PAGE, cursor: pageParam.cursor ?? undefined } },
          signal,
        }),
      );
      return { ...page, window };
    },
    initialPageParam: { cursor: null as string | null, window: null as { start: string; end: string } | null },
    getNextPageParam: (last) => (last.next_cursor ? { cursor: last.next_cursor, window: last.window } : undefined),
    enabled: valid,
  });
  const hits = useMemo(() => results.data?.pages.flatMap((p) => p.items) ?? [], [results.data]);
  const window = results.data?.pages[0]?.window;
  const search = keepTimeRange(location.search);
  // The trace's breadcrumb returns to this search (filters and all).
  const open = (traceId: string) => navigate({ pathname: `/traces/${traceId}`, search }, { state: { search: location.search } });
  const onSearch = (next: TraceFilters) => setParams((prev) => writeFilters(prev, next));

  let body;
  if (!valid) body = <ErrorBanner title="These filters cannot be searched" error={new Error(Object.values(filterProblems(filters)).join(" "))} />;
  else if (results.isPending) body = <Loading label="Searching traces" />;
  else if (results.isError) body = <ErrorBanner error={results.error} what="traces" onRetry={() => results.refetch()} />;
  else if (hits.length === 0) body = <NoHits filtered={isFiltered(filters)} />;
  else
    body = (
      <>
        <section className="panel" aria-labelledby="scatter-title">
          <header className="panel-head">
            <h2 id="scatter-title">Duration over time</h2>
            <span className="muted small">
              {hits.length} traces{results.hasNextPage ? " (more match: load them below)" : ""}
            </span>
          </header>
          {window && (
            <DurationScatter hits={hits} domain={[Date.parse(window.start), Date.parse(window.end)]} onOpen={open} />
          )}
        </section>
        <section className="panel" aria-labelledby="hits-title">
          <header className="panel-head">
            <h2 id="hits-title">Traces</h2>
            <span className="muted small">{filters.sort === "duration" ? "slowest first" : "newest first"}</span>
          </header>
          <HitsTable hits={hits} onOpen={open} />
          {results.hasNextPage && (
            <button type="button" className="tr-more" disabled={results.isFetchingNextPage} onClick={() => results.fetchNextPage()}>
              {results.isFetchingNextPage ? "Loading…" : `Load ${PAGE} more`}
            </button>
          )}
        </section>
      </>
    );

  return (
    <section aria-labelledby="traces-title">
      <header className="tr-head">
        <h1 id="traces-title">Traces</h1>
        <TraceIdJump onOpen={open} />
      </header>
      <SearchForm key={params.toString()} initial={filters} onSearch={onSearch} />
      {body}
    </section>
  );
}

function HitsTable({ hits, onOpen }: { hits: readonly Hit[]; onOpen: (traceId: string) => void }) {
  const longest = Math.max(...hits.map((h) => h.duration_ms), 0.001);
  const columns: Column<Hit>[] = [
    {
      id: "start",
      header: "Started",
      width: "9rem",
      cell: (h) => <time dateTime={h.start_time} title={new Date(h.start_time).toLocaleString()}>{formatRelative(h.start_time)}</time>,
    },
    {
      id: "trace",
      header: "Trace",
      width: "minmax(14rem, 3fr)",
      cell: (h) => (
        <span className="tr-hit-name">
          <strong>{h.root_service}</strong>: {h.root_operation}
          {!h.complete && <span className="muted small"> (root span missing)</span>}
        </span>
      ),
    },
    {
      id: "duration",
      header: "Duration",
      width: "minmax(9rem, 1.4fr)",
      cell: (h) => (
        <span className="tr-hit-duration">
          <span className={`tr-hit-bar${h.error_count ? " error" : ""}`} style={{ width: `${Math.max(2, (h.duration_ms / longest) * 100)}%` }} />
          <span className="num">{formatMs(h.duration_ms)}</span>
        </span>
      ),
    },
    { id: "spans", header: "Spans", width: "5rem", align: "end", cell: (h) => h.span_count.toLocaleString() },
    {
      id: "errors",
      header: "Errors",
      width: "5rem",
      align: "end",
      cell: (h) => (h.error_count ? <span className="bad">{h.error_count}</span> : <span className="muted">0</span>),
    },
    { id: "services", header: "Services", width: "minmax(10rem, 2fr)", cell: (h) => <ServiceChips services={h.services} /> },
  ];
  return (
    <VirtualTable
      label="Matching traces"
      rows={hits}
      columns={columns}
      rowKey={(h) => h.trace_id}
      rowHeight={36}
      height={Math.min(hits.length, 14) * 36}
      onRowActivate={(h) => onOpen(h.trace_id)}
    />
  );
}

function NoHits({ filtered }: { filtered: boolean }) {
  // Whether any trace exists at all decides what to suggest.
  const services = useQuery({
    queryKey: ["tracing", "services"],
    queryFn: ({ signal }) => call(api.GET("/api/tracing/services", { signal })),
    staleTime: 60_000,
  });
  if (services.data && services.data.length === 0)
    return (
      <EmptyState title="No traces yet">
        <SendTraces />
      </EmptyState>
    );
  return (
    <EmptyState title="No traces match">
      <p>
        {filtered
          ? "Loosen a filter (a lower minimum duration, no status or attribute filter) or choose a longer time range."
          : "Nothing arrived in this time range: choose a longer one, or check that your services still send traces."}
      </p>
    </EmptyState>
  );
}

function TraceIdJump({ onOpen }: { onOpen: (traceId: string) => void }) {
  const id = useId();
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = value.trim().toLowerCase();
    if (!/^[0-9a-f]{1,32}$/.test(text)) {
      setProblem("A trace id is up to 32 hex characters.");
      return;
    }
    setProblem(null);
    onOpen(text.padStart(32, "0"));
  };
  return (
    <form className="tr-jump" onSubmit={submit}>
      <label htmlFor={`${id}-trace`}>Trace ID</label>
      <input id={`${id}-trace`} value={value} onChange={(e) => setValue(e.target.value)} placeholder="4bf92f3577b34da6…" size={34} />
      <button type="submit">Open</button>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}
