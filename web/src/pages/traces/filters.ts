// Trace search filters <-> the URL <-> the API's query. Pure.
//
//   /traces?service=payments&operation=POST+%2Fcharge&min=500ms&max=10s&status=error
//          &attr=http.response.status_code%3D503&attr=user.tier!%3Dfree&sort=duration&range=6h
//
// The URL keeps what the user typed (min/max as "250ms", "1.5s", "2m" or plain milliseconds),
// so a reload or a shared link fills the form the same way.

export type Status = "" | "error" | "ok";
export type Sort = "start" | "duration";

export interface TraceFilters {
  service: string;
  operation: string;
  min: string;
  max: string;
  status: Status;
  attributes: string[];
  sort: Sort;
}

export const EMPTY_FILTERS: TraceFilters = {
  service: "",
  operation: "",
  min: "",
  max: "",
  status: "",
  attributes: [],
  sort: "start",
};

const FILTER_PARAMS = ["service", "operation", "min", "max", "status", "attr", "sort"] as const;

export function parseFilters(params: URLSearchParams): TraceFilters {
  const status = params.get("status");
  return {
    service: params.get("service") ?? "",
    operation: params.get("operation") ?? "",
    min: params.get("min") ?? "",
    max: params.get("max") ?? "",
    status: status === "error" || status === "ok" ? status : "",
    attributes: params.getAll("attr").filter((a) => a.trim() !== ""),
    sort: params.get("sort") === "duration" ? "duration" : "start",
  };
}

/** The filters written into URL parameters; every other parameter (the time range) is kept. */
export function writeFilters(params: URLSearchParams, filters: TraceFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of FILTER_PARAMS) next.delete(name);
  const set = (name: string, value: string) => {
    if (value.trim()) next.set(name, value.trim());
  };
  set("service", filters.service);
  set("operation", filters.operation);
  set("min", filters.min);
  set("max", filters.max);
  set("status", filters.status);
  for (const a of filters.attributes) if (a.trim()) next.append("attr", a.trim());
  if (filters.sort === "duration") next.set("sort", "duration");
  return next;
}

const UNITS: Record<string, number> = { us: 0.001, "µs": 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000 };

/** "250ms", "1.5s", "2m", "800us" or a plain number (milliseconds) → milliseconds; null if unreadable. */
export function parseDurationMs(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m|min)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = (match[2] ?? "ms").toLowerCase();
  const factor = UNITS[unit];
  return factor === undefined ? null : Number(match[1]) * factor;
}

/** key=value, key!=value or key (exists), as the API takes them. */
export function attributeProblem(filter: string): string | null {
  const text = filter.trim();
  if (!text) return null;
  const key = text.split(/!?=/, 1)[0]!.trim();
  if (!key) return `"${text}": the attribute key is missing (write key=value, key!=value or key).`;
  if (/\s/.test(key)) return `"${text}": an attribute key has no spaces.`;
  return null;
}

/** What is wrong with the filters, per field (empty when they can be searched). */
export function filterProblems(filters: TraceFilters): Partial<Record<"min" | "max" | "attributes", string>> {
  const problems: Partial<Record<"min" | "max" | "attributes", string>> = {};
  const min = filters.min.trim() ? parseDurationMs(filters.min) : null;
  const max = filters.max.trim() ? parseDurationMs(filters.max) : null;
  if (filters.min.trim() && min === null) problems.min = "Write a duration such as 250ms, 1.5s or 2m.";
  if (filters.max.trim() && max === null) problems.max = "Write a duration such as 250ms, 1.5s or 2m.";
  if (min !== null && max !== null && min > max) problems.max = "The maximum must not be below the minimum.";
  const attribute = filters.attributes.map(attributeProblem).find((p) => p !== null);
  if (attribute) problems.attributes = attribute;
  return problems;
}

export interface SearchQuery {
  service?: string;
  operation?: string;
  min_duration_ms?: number;
  max_duration_ms?: number;
  status?: "error" | "ok";
  attribute?: string[];
  sort: Sort;
}

/** The API's query parameters for valid filters (unreadable durations are left out). */
export function searchQuery(filters: TraceFilters): SearchQuery {
  const query: SearchQuery = { sort: filters.sort };
  if (filters.service.trim()) query.service = filters.service.trim();
  if (filters.operation.trim()) query.operation = filters.operation.trim();
  const min = filters.min.trim() ? parseDurationMs(filters.min) : null;
  const max = filters.max.trim() ? parseDurationMs(filters.max) : null;
  if (min !== null) query.min_duration_ms = min;
  if (max !== null) query.max_duration_ms = max;
  if (filters.status) query.status = filters.status;
  const attributes = filters.attributes.map((a) => a.trim()).filter(Boolean);
  if (attributes.length) query.attribute = attributes;
  return query;
}

/** True when any filter narrows the search (the empty state then says to loosen them). */
export function isFiltered(filters: TraceFilters): boolean {
  return Boolean(
    filters.service || filters.operation || filters.min || filters.max || filters.status || filters.attributes.length,
  );
}
