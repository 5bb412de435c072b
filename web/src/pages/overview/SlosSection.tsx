import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatPercent } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { DefineSlo } from "./HowToSend";
import { REFRESH_MS } from "./ServicesSection";

const SHOWN = 8;

export function SlosSection() {
  const search = keepTimeRange(useLocation().search);
  const atRisk = useQuery({
    queryKey: ["slo", "violations", "overview"],
    queryFn: ({ signal }) => call(api.GET("/api/slo/violations", { params: { query: { limit: 50 } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const none = atRisk.data?.items.length === 0;
  const defined = useQuery({
    queryKey: ["slo", "list", "any"],
    queryFn: ({ signal }) => call(api.GET("/api/slo", { params: { query: { limit: 1 } }, signal })),
    enabled: none,
  });

  let body;
  if (atRisk.isPending) body = <Loading label="Loading SLOs" />;
  else if (atRisk.isError) body = <ErrorBanner error={atRisk.error} what="SLOs at risk" onRetry={() => atRisk.refetch()} />;
  else if (none && defined.data?.items.length === 0)
    body = (
      <EmptyState title="No SLOs defined yet">
        <DefineSlo />
      </EmptyState>
    );
  else if (none)
    body = (
      <EmptyState title="No SLO is at risk">
        <p>Every SLO meets its target and no burn-rate alert is firing.</p>
      </EmptyState>
    );
  else
    body = (
      <ul className="item-list">
        {atRisk.data.items.slice(0, SHOWN).map((slo) => (
          <li key={slo.slo_id}>
            <div className="item-main">
              <span className={`badge ${slo.out_of_target ? "severity-critical" : "severity-high"}`}>
                {slo.out_of_target ? "breached" : "burning"}
              </span>
              <Link to={{ pathname: `/slos/${slo.slo_id}`, search }} className="item-title">
                {slo.name}
              </Link>
            </div>
            <div className="item-meta">
              <span>{slo.service}</span>
              <span title="Error budget remaining">
                {slo.remaining_ratio > 0 ? `${formatPercent(slo.remaining_ratio, 0)} budget left` : "budget exhausted"}
              </span>
              {slo.burning.length > 0 && <span>burning over {slo.burning.join(", ")}</span>}
            </div>
            {slo.reasons[0] && <div className="item-meta">{slo.reasons[0]}</div>}
          </li>
        ))}
      </ul>
    );

  const count = atRisk.data ? `${atRisk.data.items.length}${atRisk.data.next_cursor ? "+" : ""}` : null;
  return (
    <section className="panel" aria-labelledby="slos-title">
      <header className="panel-head">
        <h2 id="slos-title">
          SLOs at risk {count !== null && <span className="count" aria-label={`${count} at risk`}>{count}</span>}
        </h2>
        <Link to={{ pathname: "/slos", search }}>All SLOs</Link>
      </header>
      {body}
    </section>
  );
}
