import { Route, Routes } from "react-router";
import { SloDetail } from "./SloDetail";
import { SloList } from "./SloList";
import "./slos.css";

/** /slos: every SLO with its budget; /slos/<id>: one SLO's burn-down, burn rates and prediction. */
export default function SlosPage() {
  return (
    <Routes>
      <Route index element={<SloList />} />
      <Route path=":sloId" element={<SloDetail />} />
    </Routes>
  );
}
