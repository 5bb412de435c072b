import { Route, Routes } from "react-router";
import { IncidentDetail } from "./IncidentDetail";
import { IncidentList } from "./IncidentList";
import { PostMortemPage } from "./PostMortem";
import "./incidents.css";

/** /incidents: the list; /incidents/<id>: the war room; /incidents/<id>/post-mortem. */
export default function IncidentsPage() {
  return (
    <Routes>
      <Route index element={<IncidentList />} />
      <Route path=":incidentId" element={<IncidentDetail />} />
      <Route path=":incidentId/post-mortem" element={<PostMortemPage />} />
    </Routes>
  );
}
