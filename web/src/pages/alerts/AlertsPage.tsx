import { Route, Routes } from "react-router";
import { SectionTabs } from "../../components/SectionTabs";
import { usePageTitle } from "../../components/usePageTitle";
import { ActiveAlerts } from "./ActiveAlerts";
import { AlertDetail } from "./AlertDetail";
import "./alerts.css";
import { FatigueTab } from "./FatigueTab";
import { RoutesTab } from "./RoutesTab";
import { SilencesTab } from "./SilencesTab";
import { StatisticsTab } from "./StatisticsTab";

const TABS = [
  { to: "", label: "Active" },
  { to: "silences", label: "Silences" },
  { to: "routes", label: "Routing" },
  { to: "fatigue", label: "Fatigue" },
  { to: "statistics", label: "Statistics" },
];

function Tab({ title, children }: { title: string; children: React.ReactNode }) {
  usePageTitle(title === "Active" ? "Alerts" : `${title} · Alerts`);
  return <>{children}</>;
}

/** Alerts: the open alerts as they page, silences, the routing tree, fatigue and statistics. */
export default function AlertsPage() {
  return (
    <div className="alerts-page">
      <h1>Alerts</h1>
      <SectionTabs base="/alerts" label="Alerts sections" tabs={TABS} />
      <Routes>
        <Route index element={<Tab title="Active"><ActiveAlerts /></Tab>} />
        <Route path="silences" element={<Tab title="Silences"><SilencesTab /></Tab>} />
        <Route path="routes" element={<Tab title="Routing"><RoutesTab /></Tab>} />
        <Route path="fatigue" element={<Tab title="Fatigue"><FatigueTab /></Tab>} />
        <Route path="statistics" element={<Tab title="Statistics"><StatisticsTab /></Tab>} />
        <Route path=":alertId" element={<AlertDetail />} />
      </Routes>
    </div>
  );
}
