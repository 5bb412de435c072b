import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call } from "../../api/client";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { CodeBlock } from "../../components/CodeBlock";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { origin } from "./HowToSend";
import { REFRESH_MS } from "./ServicesSection";

const SHOWN = 8;

export function IncidentsSection() {
  const search = keepTimeRange(useLocation().search);
  const incidents = useQuery({
    queryKey: ["incidents", "active", "overview"],
    queryFn: ({ signal }) => call(api.GET("/api/incidents/active", { params: { query: { limit: 50 } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const count = incidents.data ? `${incidents.data.items.length}${incidents.data.next_cursor ? "+" : ""}` : null;

  return (
    <section className="panel" aria-labelledby="incidents-title">
      <header className="panel-head">
        <h2 id="incidents-title">
          Open incidents {count !== null && <span className="count" aria-label={`${count} open`}>{count}</span>}
        </h2>
        <Link to={{ pathname: "/incidents", search }}>All incidents</Link>
      </header>
      {incidents.isPending ? (
        <Loading label="Loading incidents" />
      ) : incidents.isError ? (
        <ErrorBanner error={incidents.error} what="open incidents" onRetry={() => incidents.refetch()} />
      ) : incidents.data.items.length === 0 ? (
        <EmptyState title="No open incidents">
          <p>
            Incident policies open incidents from alerts automatically; a responder can also declare one (Incidents
            page, or the API):
          </p>
          <CodeBlock
            label="curl: declare an incident"
            code={[
              `curl -X POST ${origin()}/api/incidents \\`,
              '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\',
              '  -d \'{"title": "Checkout errors", "severity": "high", "affected_services": ["checkout"]}\'',
            ].join("\n")}
          />
        </EmptyState>
      ) : (
        <ul className="item-list">
          {incidents.data.items.slice(0, SHOWN).map((incident) => (
            <li key={incident.id}>
              <div className="item-main">
                <SeverityBadge severity={incident.severity} />
                <Link to={{ pathname: `/incidents/${incident.id}`, search }} className="item-title">
                  {incident.title}
                </Link>
              </div>
              <div className="item-meta">
                <span>{incident.affected_services.join(", ")}</span>
                <StatusBadge status={incident.status} />
                <time dateTime={incident.started_at}>{formatRelative(incident.started_at)}</time>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
