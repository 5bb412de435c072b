import { Route, Routes } from "react-router";
import "../services/services.css";
import "./traces.css";
import { TraceSearch } from "./TraceSearch";
import { TraceView } from "./TraceView";

/** /traces: search (filters in the URL); /traces/<trace id>: the waterfall (?span= the selected span). */
export default function TracesPage() {
  return (
    <Routes>
      <Route index element={<TraceSearch />} />
      <Route path=":traceId" element={<TraceView />} />
    </Routes>
  );
}
