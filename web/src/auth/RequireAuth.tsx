import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useSession } from "./session";

/** Pages behind login: without a session, go to /login and come back here afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { current } = useSession();
  const location = useLocation();
  if (!current) {
    const next = encodeURIComponent(location.pathname + location.search + location.hash);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <>{children}</>;
}
