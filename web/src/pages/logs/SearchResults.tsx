import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { useTimeRange } from "../../components/TimeRangePicker";
import { bucketize, histogramStep, type Bucket } from "./histogram";
import { LogList } from "./LogList";
import { RanAs } from "./QueryBar";
import type { StructuredQuery } from "./queryText";
import { SendLogs } from "./SendLogs";
import { VolumeHistogram } from "./VolumeHistogram";
import { nlParam, type LogsParams } from "./useLogsParams";

const PAGE = 200;

export interface SearchResultsProps {
  params: LogsParams;
  onEdit: (text: string) => void;
}

/** The search: what ran, the volume histogram, the lines (paged as you scroll). */
export function SearchResults({ params, onEdit }: SearchResultsProps) {
  const time = useTimeRange();
  const nl = nlParam(params.mode);
  // A trace's lines are shown whenever they were written, not only in the range.
  const range = () => (params.traceId ? {} : time.query());
  const trace_id = params.traceId ?? undefined;
  const search = useInfiniteQuery({
    queryKey: ["logs", "search", params.q, params.mode, params.traceId, params.traceId ? "" : time.key],
    queryFn: ({ pageParam, signal }) =>
      call(
        api.GET("/api/logs/search", {
          params: { query: { query: params.q, nl, trace_id, limit: PAGE, cursor: pageParam, ...range() } },
          signal,
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const stats = useQuery({
    queryKey: ["logs", "statistics", params.q, params.mode, time.key],
    queryFn: ({ signal }) => {
      const { start, end } = time.bounds();
      const step = histogramStep(end.getTime() - start.getTime());
      return call(
        api.GET("/api/logs/statistics", {
          params: { query: { query: params.q, nl, start: start.toISOString(), end: end.toISOString(), step: `${step}s` } },
          signal,
        }),
      );
    },
    enabled: !params.traceId,
  });

  const zoom = (bucket: Bucket) => time.setRange({ kind: "absolute", from: new Date(bucket.t), to: new Date(bucket.end) });

  if (search.isPending) return <Loading label="Searching logs" />;
  if (search.isError) return <ErrorBanner error={search.error} what="log lines" onRetry={() => search.refetch()} />;
  const first = search.data.pages[0]!;
  const hits = search.data.pages.flatMap((p) => p.items);
  const buckets = stats.data
    ? bucketize(stats.data.series, Date.parse(stats.data.start), Date.parse(stats.data.end), stats.data.step_seconds)
    : null;
  return (
    <>
      <RanAs
        query={first.query as StructuredQuery}
        natural={first.natural_language}
        interpretation={first.interpretation ?? []}
        onEdit={onEdit}
      />
      {!params.traceId && (
        <section aria-label="Volume" className="histogram-panel">
          {stats.isError ? (
            <ErrorBanner error={stats.error} what="the volume histogram" onRetry={() => stats.refetch()} />
          ) : buckets && stats.data?.total === 0 ? (
            <p className="muted small">No matching lines in this time range.</p>
          ) : buckets ? (
            <VolumeHistogram buckets={buckets} label="Matching lines over the time range, by level" onSelect={zoom} />
          ) : (
            <Loading label="Counting lines" />
          )}
        </section>
      )}
      <p className="muted small result-count" aria-live="polite">
        {hits.length === 0
          ? "No lines."
          : `${stats.data && !params.traceId ? `${stats.data.total.toLocaleString()} lines match; ` : ""}showing the newest ${hits.length.toLocaleString()}${search.hasNextPage ? " (scroll for more)" : ""}.`}
        {first.index.pending_records > 0 && <span title={first.index.note}> Indexing: {first.index.pending_records} new lines.</span>}
      </p>
      {hits.length === 0 ? (
        params.q || params.traceId ? (
          <EmptyState title="No log lines match">
            <p>Widen the time range, remove a filter, or try the patterns tab to see what is there.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No logs in this time range">
            <SendLogs />
          </EmptyState>
        )
      ) : (
        <LogList
          hits={hits}
          label="Log lines, newest first"
          hasMore={search.hasNextPage}
          loadingMore={search.isFetchingNextPage}
          onLoadMore={() => void search.fetchNextPage()}
        />
      )}
    </>
  );
}
