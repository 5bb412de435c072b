import type { ReactNode } from "react";
import { Route, Routes } from "react-router";
import { SectionTabs } from "../../components/SectionTabs";
import { usePageTitle } from "../../components/usePageTitle";
import "../alerts/alerts.css";
import { ContactTab } from "./ContactTab";
import { HistoryTab } from "./HistoryTab";
import { NowTab } from "./NowTab";
import "./oncall.css";
import { PoliciesTab } from "./PoliciesTab";

const TABS = [
  { to: "", label: "Now & schedules" },
  { to: "policies", label: "Escalation policies" },
  { to: "me", label: "My notifications" },
  { to: "history", label: "Notification history" },
];

function Tab({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title ? `${title} · On-call` : "On-call");
  return <>{children}</>;
}

/** On-call: who is on call, schedules for two weeks with overrides, policies, your contact setup, history. */
export default function OnCallPage() {
  return (
    <div className="oncall-page">
      <h1>On-call</h1>
      <SectionTabs base="/oncall" label="On-call sections" tabs={TABS} />
      <Routes>
        <Route index element={<Tab title=""><NowTab /></Tab>} />
        <Route path="policies" element={<Tab title="Escalation policies"><PoliciesTab /></Tab>} />
        <Route path="me" element={<Tab title="My notifications"><ContactTab /></Tab>} />
        <Route path="history" element={<Tab title="Notification history"><HistoryTab /></Tab>} />
      </Routes>
    </div>
  );
}
