import { Route, Routes } from "react-router";
import { ServiceMap } from "./ServiceMap";
import { ServicePage } from "./ServicePage";
import "./services.css";

/** /services: the dependency graph; /services/<name>: one service's RED charts and operations. */
export default function ServicesPage() {
  return (
    <Routes>
      <Route index element={<ServiceMap />} />
      <Route path=":service" element={<ServicePage />} />
    </Routes>
  );
}
