import { sortedLabelNames } from "./matchers";

/** Labels as small name=value chips, the important ones (alertname, service, severity) first. */
export function LabelChips({ labels }: { labels: Record<string, string> }) {
  const names = sortedLabelNames(labels);
  if (names.length === 0) return null;
  return (
    <span className="label-chips">
      {names.map((name) => (
        <span key={name} className="label-chip">
          <span className="label-name">{name}</span>=<span className="label-value">{labels[name]}</span>
        </span>
      ))}
    </span>
  );
}
