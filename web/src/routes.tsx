// The areas of the app: one line each. Adding a page = one line here.
//
// An area's page owns every path below it: "/traces" renders at /traces, /traces/<id>,
// /traces/<id>/logs …; route inside the page with react-router's <Routes>
// (see docs/web.md). Areas other than the overview are loaded on demand (lazy), so one
// area's code does not slow the others down.
import { lazy, type ComponentType } from "react";
import { OverviewPage } from "./pages/overview/OverviewPage";

export interface Area {
  /** URL prefix; "/" is the overview. */
  path: string;
  /** Navigation label. */
  label: string;
  Page: ComponentType;
}

/** A page loaded on demand; its module's default export is the page component:
 *   { path: "/traces", label: "Traces", Page: page(() => import("./pages/traces/TracesPage")) }, */
export function page(load: () => Promise<{ default: ComponentType }>): ComponentType {
  return lazy(load);
}

export const areas: Area[] = [
  { path: "/", label: "Overview", Page: OverviewPage },
  { path: "/services", label: "Services", Page: page(() => import("./pages/services/ServicesPage")) },
  { path: "/traces", label: "Traces", Page: page(() => import("./pages/traces/TracesPage")) },
  { path: "/logs", label: "Logs", Page: page(() => import("./pages/logs/LogsPage")) },
  { path: "/alerts", label: "Alerts", Page: page(() => import("./pages/alerts/AlertsPage")) },
  { path: "/oncall", label: "On-call", Page: page(() => import("./pages/oncall/OnCallPage")) },
  { path: "/incidents", label: "Incidents", Page: page(() => import("./pages/incidents/IncidentsPage")) },
  { path: "/slos", label: "SLOs", Page: page(() => import("./pages/slos/SlosPage")) },
  { path: "/settings", label: "Settings", Page: page(() => import("./pages/settings/SettingsPage")) },
];
