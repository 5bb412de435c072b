import { budgetHealth, budgetLabel } from "./sloFormat";

/** The error budget left as a bar (0–100%, red when spent) with its label. */
export function BudgetBar({ remainingRatio, name }: { remainingRatio: number; name: string }) {
  const pct = Math.max(0, Math.min(1, remainingRatio)) * 100;
  const label = budgetLabel(remainingRatio);
  return (
    <div className={`budget budget-${budgetHealth(remainingRatio)}`}>
      <div
        className="budget-bar"
        role="meter"
        aria-label={`Error budget remaining of ${name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        aria-valuetext={label}
      >
        <span style={{ width: `${pct}%` }} />
      </div>
      <span className="budget-label">{label}</span>
    </div>
  );
}
