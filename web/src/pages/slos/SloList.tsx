import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { BudgetBar } from "./BudgetBar";
import { DefineSloHelp } from "./DefineSloHelp";
import { formatRatio, sliLabel, windowLabel } from "./sloFormat";

export const REFRESH_MS = 30_000;
const LIMIT = 200;

type Status = Schemas["StatusOut"];

/** The SLO's state in a word, and its badge class. */
export function sloState(status: Status): { label: string; className: string } {
  const firing = status.alert_state.filter((a) => a.state === "firing");
  if (firing.some((a) => a.severity === "page")) return { label: "burning (page)", className: "severity-critical" };
  if (firing.length) return { label: "burning (ticket)", className: "severity-high" };
  if (!status.meets_target) return { label: "out of target", className: "severity-high" };
  if (status.total === 0) return { label: "no data", className: "" };
  return { label: "ok", className: "status-ok" };
}

/** /slos: every SLO with its target, window, SLI, budget left and alert state. */
export function SloList() {
  usePageTitle("SLOs");
  const search = keepTimeRange(useLocation().search);
  const definitions = useQuery({
    queryKey: ["slo", "list", LIMIT],
    queryFn: ({ signal }) => call(api.GET("/api/slo", { params: { query: { limit: LIMIT } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const statuses = useQuery({
    queryKey: ["slo", "statuses", LIMIT],
    queryFn: ({ signal }) => call(api.GET("/api/slo/statuses", { params: { query: { limit: LIMIT } }, signal })),
    refetchInterval: REFRESH_MS,
  });

  let body;
  if (definitions.isPending || statuses.isPending) body = <Loading label="Loading SLOs" />;
  else if (definitions.isError) body = <ErrorBanner error={definitions.error} what="SLOs" onRetry={() => definitions.refetch()} />;
  else if (statuses.isError) body = <ErrorBanner error={statuses.error} what="SLO statuses" onRetry={() => statuses.refetch()} />;
  else if (definitions.data.items.length === 0)
    body = (
      <EmptyState title="No SLOs defined yet">
        <DefineSloHelp />
      </EmptyState>
    );
  else {
    const byId = new Map(statuses.data.items.map((s) => [s.slo_id, s]));
    body = (
      <table className="data slo-list">
        <caption className="visually-hidden">Service level objectives</caption>
        <thead>
          <tr>
            <th scope="col">SLO</th>
            <th scope="col">Service</th>
            <th scope="col" className="num">
              Target
            </th>
            <th scope="col">Window</th>
            <th scope="col">SLI</th>
            <th scope="col" className="num">
              SLI (window)
            </th>
            <th scope="col">Error budget</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {definitions.data.items.map((slo) => {
            const status = byId.get(slo.id);
            const state = status ? sloState(status) : null;
            return (
              <tr key={slo.id}>
                <th scope="row">
                  <Link to={{ pathname: `/slos/${slo.id}`, search }}>{slo.name}</Link>
                  {slo.source_error && (
                    <span className="bad small" title={slo.source_error}>
                      {" "}
                      source error
                    </span>
                  )}
                </th>
                <td>{slo.service}</td>
                <td className="num">{formatRatio(slo.target)}</td>
                <td>{windowLabel(slo.window)}</td>
                <td>{sliLabel(slo.sli)}</td>
                <td className={`num${status && !status.meets_target ? " bad" : ""}`}>{formatRatio(status?.sli)}</td>
                <td>{status ? <BudgetBar remainingRatio={status.error_budget.remaining_ratio} name={slo.name} /> : "–"}</td>
                <td>{state && <span className={`badge ${state.className}`}>{state.label}</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }
  return (
    <section aria-labelledby="slos-title">
      <h1 id="slos-title">SLOs</h1>
      {body}
      {definitions.data?.next_cursor && <p className="muted small">Showing the first {LIMIT} SLOs.</p>}
    </section>
  );
}
