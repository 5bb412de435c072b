import { Route, Routes } from "react-router";
import { LogsExplorer } from "./LogsExplorer";
import "./logs.css";

/** /logs (with ?q=, ?trace_id=, ?tab=, ?live=1 and the time range): the log explorer. */
export default function LogsPage() {
  return (
    <Routes>
      <Route index element={<LogsExplorer />} />
      <Route path="*" element={<LogsExplorer />} />
    </Routes>
  );
}
