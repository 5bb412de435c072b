import { serviceColors } from "./colors";

/** Services of a trace, each with its colour and span count. */
export function ServiceChips({ services, max = 4 }: { services: Record<string, number>; max?: number }) {
  const entries = Object.entries(services).sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, max);
  const colours = serviceColors(entries.map(([name]) => name));
  return (
    <span className="tr-chips">
      {shown.map(([name, count]) => (
        <span key={name} className="tr-chip" title={`${name}: ${count} spans`}>
          <i style={{ background: colours.get(name) }} aria-hidden="true" />
          {name}
        </span>
      ))}
      {entries.length > max && <span className="muted small">+{entries.length - max}</span>}
    </span>
  );
}
