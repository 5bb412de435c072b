import { useCallback, useId, useMemo, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import {
  PRESETS,
  parseTimeRange,
  presetLabel,
  timeRangeBounds,
  timeRangeKey,
  toLocalInput,
  withTimeRange,
  type Preset,
  type TimeRange,
} from "./timeRange";

export interface UseTimeRange {
  range: TimeRange;
  /** Stable across renders of the same range: put it in react-query keys. */
  key: string;
  /** Start/end now (call inside queryFn, so relative ranges move on refetch). */
  bounds: () => { start: Date; end: Date };
  /** { start, end } as ISO strings, the API's `start`/`end` query parameters. */
  query: () => { start: string; end: string };
  setRange: (range: TimeRange) => void;
}

/** The shared time range from the URL (see timeRange.ts); every page uses this one. */
export function useTimeRange(): UseTimeRange {
  const [params, setParams] = useSearchParams();
  const range = useMemo(() => parseTimeRange(params), [params]);
  const setRange = useCallback(
    (next: TimeRange) => setParams((prev) => withTimeRange(prev, next)),
    [setParams],
  );
  return useMemo(() => {
    const bounds = () => timeRangeBounds(range);
    return {
      range,
      key: timeRangeKey(range),
      bounds,
      query: () => {
        const { start, end } = bounds();
        return { start: start.toISOString(), end: end.toISOString() };
      },
      setRange,
    };
  }, [range, setRange]);
}

const CUSTOM = "custom";

export function TimeRangePicker() {
  const { range, setRange } = useTimeRange();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const initial = timeRangeBounds(range);
  const [from, setFrom] = useState(toLocalInput(initial.start));
  const [to, setTo] = useState(toLocalInput(initial.end));
  const [problem, setProblem] = useState<string | null>(null);
  const custom = editing || range.kind === "absolute";

  const onSelect = (value: string) => {
    if (value === CUSTOM) {
      const { start, end } = timeRangeBounds(range);
      setFrom(toLocalInput(start));
      setTo(toLocalInput(end));
      setEditing(true);
      return;
    }
    setEditing(false);
    setProblem(null);
    setRange({ kind: "relative", preset: value as Preset });
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const start = new Date(from);
    const end = new Date(to);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
      setProblem("Enter both dates.");
      return;
    }
    if (start >= end) {
      setProblem("The start must be before the end.");
      return;
    }
    setProblem(null);
    setEditing(false);
    setRange({ kind: "absolute", from: start, to: end });
  };

  return (
    <form className="time-range" onSubmit={apply}>
      <label htmlFor={`${id}-preset`}>Time range</label>
      <select
        id={`${id}-preset`}
        value={custom ? CUSTOM : range.kind === "relative" ? range.preset : CUSTOM}
        onChange={(event) => onSelect(event.target.value)}
      >
        {PRESETS.map((preset) => (
          <option key={preset} value={preset}>
            {presetLabel(preset)}
          </option>
        ))}
        <option value={CUSTOM}>Custom…</option>
      </select>
      {custom && (
        <>
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          <button type="submit">Apply</button>
        </>
      )}
      {problem && (
        <span role="alert" className="field-error">
          {problem}
        </span>
      )}
    </form>
  );
}
