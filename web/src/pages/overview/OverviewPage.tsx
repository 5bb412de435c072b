import { usePageTitle } from "../../components/usePageTitle";
import { AlertsSection } from "./AlertsSection";
import { IncidentsSection } from "./IncidentsSection";
import { ServicesSection } from "./ServicesSection";
import { SlosSection } from "./SlosSection";

/** The system at a glance: services (rate, errors, p95), active alerts, open incidents, SLOs at risk. */
export function OverviewPage() {
  usePageTitle("Overview");
  return (
    <div className="overview">
      <h1>Overview</h1>
      <ServicesSection />
      <div className="overview-grid">
        <AlertsSection />
        <IncidentsSection />
        <SlosSection />
      </div>
    </div>
  );
}
