import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { api, call } from "../../api/client";
import { SeverityBadge, StatusBadge } from "../../components/badges";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative } from "../../components/format";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { SendAlert } from "./HowToSend";
import { REFRESH_MS } from "./ServicesSection";

const SHOWN = 8;
const COUNTED = 100;

export function AlertsSection() {
  const search = keepTimeRange(useLocation().search);
  const alerts = useQuery({
    queryKey: ["alerts", "active", "overview"],
    queryFn: ({ signal }) => call(api.GET("/api/alerts/active", { params: { query: { limit: COUNTED } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const count = alerts.data ? `${alerts.data.items.length}${alerts.data.next_cursor ? "+" : ""}` : null;

  return (
    <section className="panel" aria-labelledby="alerts-title">
      <header className="panel-head">
        <h2 id="alerts-title">
          Active alerts {count !== null && <span className="count" aria-label={`${count} active`}>{count}</span>}
        </h2>
        <Link to={{ pathname: "/alerts", search }}>All alerts</Link>
      </header>
      {alerts.isPending ? (
        <Loading label="Loading alerts" />
      ) : alerts.isError ? (
        <ErrorBanner error={alerts.error} what="active alerts" onRetry={() => alerts.refetch()} />
      ) : alerts.data.items.length === 0 ? (
        <EmptyState title="No active alerts">
          <SendAlert />
        </EmptyState>
      ) : (
        <ul className="item-list">
          {alerts.data.items.slice(0, SHOWN).map((alert) => (
            <li key={alert.id}>
              <div className="item-main">
                <SeverityBadge severity={alert.severity} />
                <Link to={{ pathname: `/alerts/${alert.id}`, search }} className="item-title">
                  {alert.title || alert.alert_name}
                </Link>
              </div>
              <div className="item-meta">
                <span>{alert.service}</span>
                <StatusBadge status={alert.status} />
                <time dateTime={alert.starts_at}>{formatRelative(alert.starts_at)}</time>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
