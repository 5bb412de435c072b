import { useSearchParams } from "react-router";

const CHOICES = [1, 7, 14, 30, 90];

/** The report window in days, kept in the URL (?days=7, the default). */
export function useDays(): [number, (days: number) => void] {
  const [params, setParams] = useSearchParams();
  const days = Number(params.get("days"));
  const value = CHOICES.includes(days) ? days : 7;
  const set = (next: number) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev);
      if (next === 7) p.delete("days");
      else p.set("days", String(next));
      return p;
    });
  return [value, set];
}

export function DaysPicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <label className="days-picker">
      Window{" "}
      <select value={days} onChange={(e) => onChange(Number(e.target.value))}>
        {CHOICES.map((d) => (
          <option key={d} value={d}>
            last {d === 1 ? "day" : `${d} days`}
          </option>
        ))}
      </select>
    </label>
  );
}
