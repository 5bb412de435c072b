import type { Schemas } from "../../api/client";
import { formatBurn } from "./sloFormat";

type Condition = Schemas["ConditionOut"];

function conditionState(c: Condition): { label: string; className: string } {
  if (c.firing) return { label: "firing", className: "status-firing" };
  if (c.guarded) return { label: "too few events", className: "muted" };
  const over = c.long_burn_rate >= c.threshold || c.short_burn_rate >= c.threshold;
  return over ? { label: "one window over", className: "warn" } : { label: "ok", className: "status-resolved" };
}

/**
 * The multi-window, multi-burn-rate alert conditions (SRE Workbook): a condition fires
 * when both its long and its short window burn above the threshold.
 */
export function BurnRateTable({ conditions, burnRates }: { conditions: Condition[]; burnRates: Record<string, number> }) {
  return (
    <>
      <table className="data burn-rates">
        <caption className="visually-hidden">Burn-rate alert conditions</caption>
        <thead>
          <tr>
            <th scope="col">Condition</th>
            <th scope="col">Windows (long / short)</th>
            <th scope="col" className="num">
              Threshold
            </th>
            <th scope="col" className="num">
              Long-window burn
            </th>
            <th scope="col" className="num">
              Short-window burn
            </th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {conditions.map((c) => {
            const state = conditionState(c);
            return (
              <tr key={c.key} data-firing={c.firing}>
                <th scope="row">
                  <span className={`badge ${c.severity === "page" ? "severity-critical" : "severity-medium"}`}>{c.severity}</span>
                </th>
                <td>
                  {c.long_window} / {c.short_window}
                </td>
                <td className="num">{formatBurn(c.threshold)}</td>
                <td className={`num${c.long_burn_rate >= c.threshold ? " bad" : ""}`}>{formatBurn(c.long_burn_rate)}</td>
                <td className={`num${c.short_burn_rate >= c.threshold ? " bad" : ""}`}>{formatBurn(c.short_burn_rate)}</td>
                <td className={state.className}>{state.label}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <table className="data burn-windows">
        <caption>Burn rate per window (1× spends the budget exactly over the SLO window)</caption>
        <thead>
          <tr>
            {Object.keys(burnRates).map((w) => (
              <th key={w} scope="col" className="num">
                {w}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {Object.entries(burnRates).map(([w, rate]) => (
              <td key={w} className={`num${rate > 1 ? " bad" : ""}`}>
                {formatBurn(rate)}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </>
  );
}
