// The structured query the server ran (SearchResponse.query), written back in the search
// language, so a natural-language question shows what it became and can be edited. Pure.

const NS_PER_MS = 1_000_000;

export interface StructuredQuery {
  terms?: string[];
  phrases?: string[];
  exclude?: string[];
  services?: string[];
  exclude_services?: string[];
  levels?: string[];
  trace_id?: string;
  span_id?: string;
  pattern_ids?: number[];
  attributes?: Record<string, string>;
  exclude_attributes?: Record<string, string>;
  start_ns?: number;
  end_ns?: number;
}

const quote = (value: string) => (/[\s"]/.test(value) || value === "" ? `"${value.replace(/"/g, '\\"')}"` : value);

/** The search-language text of a structured query (without its time range). */
export function queryText(query: StructuredQuery): string {
  const parts: string[] = [];
  for (const s of query.services ?? []) parts.push(`service:${quote(s)}`);
  for (const s of query.exclude_services ?? []) parts.push(`-service:${quote(s)}`);
  if (query.levels?.length) parts.push(`level:${query.levels.map((l) => l.toLowerCase()).join(",")}`);
  if (query.trace_id) parts.push(`trace_id:${query.trace_id}`);
  if (query.span_id) parts.push(`span_id:${query.span_id}`);
  for (const id of query.pattern_ids ?? []) parts.push(`pattern:${id}`);
  for (const [k, v] of Object.entries(query.attributes ?? {})) parts.push(`${k}:${quote(v)}`);
  for (const [k, v] of Object.entries(query.exclude_attributes ?? {})) parts.push(`-${k}:${quote(v)}`);
  for (const t of query.terms ?? []) parts.push(quote(t));
  for (const p of query.phrases ?? []) parts.push(`"${p.replace(/"/g, '\\"')}"`);
  for (const e of query.exclude ?? []) parts.push(`-${quote(e)}`);
  return parts.join(" ");
}

/** The query's own time range, when it has one (a question like "in the last hour"). */
export function queryRange(query: StructuredQuery): { start?: Date; end?: Date } {
  return {
    start: query.start_ns !== undefined ? new Date(query.start_ns / NS_PER_MS) : undefined,
    end: query.end_ns !== undefined ? new Date(query.end_ns / NS_PER_MS) : undefined,
  };
}
