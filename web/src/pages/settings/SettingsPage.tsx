import { NavLink, Navigate, Route, Routes, useLocation } from "react-router";
import { usePageTitle } from "../../components/usePageTitle";
import { keepTimeRange } from "../../components/timeRange";
import { ApiKeys } from "./ApiKeys";
import { Channels } from "./Channels";
import { Connect } from "./Connect";
import { Teams } from "./Teams";
import { Users } from "./Users";
// The layout classes shared with the incident pages (forms, tabs, panels).
import "../incidents/incidents.css";

const TABS = [
  { path: "connect", label: "Connect your tools" },
  { path: "api-keys", label: "API keys" },
  { path: "users", label: "Users" },
  { path: "teams", label: "Teams" },
  { path: "channels", label: "Notification channels" },
] as const;

/** /settings/<tab>: API keys, users and teams, channels, and setup snippets. */
export default function SettingsPage() {
  usePageTitle("Settings");
  const search = keepTimeRange(useLocation().search);
  return (
    <div className="settings">
      <h1>Settings</h1>
      <nav className="tabs" aria-label="Settings">
        {TABS.map((tab) => (
          <NavLink key={tab.path} to={{ pathname: `/settings/${tab.path}`, search }}>
            {tab.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to={{ pathname: "connect", search }} replace />} />
        <Route path="connect" element={<Connect />} />
        <Route path="api-keys" element={<ApiKeys />} />
        <Route path="users" element={<Users />} />
        <Route path="teams" element={<Teams />} />
        <Route path="channels" element={<Channels />} />
        <Route path="*" element={<Navigate to={{ pathname: "connect", search }} replace />} />
      </Routes>
    </div>
  );
}
