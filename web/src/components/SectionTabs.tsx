import "./SectionTabs.css";
import { NavLink, useLocation } from "react-router";
import { keepTimeRange } from "./timeRange";

export interface SectionTab {
  /** Path relative to the area, "" for its index: { to: "silences", label: "Silences" }. */
  to: string;
  label: string;
}

/**
 * An area's sub-pages as tabs (links, so the URL says which one is open and the time range
 * is kept): <SectionTabs base="/alerts" label="Alerts sections" tabs={[…]} />.
 */
export function SectionTabs({ base, label, tabs }: { base: string; label: string; tabs: SectionTab[] }) {
  const search = keepTimeRange(useLocation().search);
  return (
    <nav className="section-tabs" aria-label={label}>
      {tabs.map((tab) => (
        <NavLink
          key={tab.to}
          to={{ pathname: tab.to ? `${base}/${tab.to}` : base, search }}
          end={tab.to === ""}
          className={({ isActive }) => (isActive ? "section-tab active" : "section-tab")}
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
