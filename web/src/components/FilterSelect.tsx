/** A labelled filter drop-down: "any" (or `anyLabel`) and one option per value. */
export function FilterSelect({
  label,
  value,
  options,
  onChange,
  anyLabel = "any",
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  anyLabel?: string;
}) {
  return (
    <label>
      {label}{" "}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
