import { Suspense } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { session, useSession } from "./auth/session";
import { useMe } from "./auth/useMe";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Loading } from "./components/Loading";
import { TimeRangePicker } from "./components/TimeRangePicker";
import { keepTimeRange } from "./components/timeRange";
import { areas } from "./routes";
import { ThemeToggle } from "./theme";

/** The shell around every page: top bar (time range, theme, user, logout) and navigation. */
export function Layout() {
  const { current } = useSession();
  const me = useMe(); // also notices an expired session on pages that fetch nothing else
  const location = useLocation();
  const keep = keepTimeRange(location.search);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={{ pathname: "/", search: keep }} className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Sentinel
        </Link>
        <TimeRangePicker />
        <div className="spacer" />
        {current && (
          <span className="user" title="Logged in as">
            {me.data?.user?.name ?? current.email}
            {me.data?.role && <span className="muted small"> · {me.data.role}</span>}
          </span>
        )}
        <ThemeToggle />
        <button type="button" onClick={() => session.logout()}>
          Log out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {areas.map((area) => (
            <li key={area.path}>
              <NavLink to={{ pathname: area.path, search: keep }} end={area.path === "/"}>
                {area.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Loading label="Loading page" />}>
            <Outlet />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}

export function NotFoundPage() {
  const location = useLocation();
  return (
    <section>
      <h1>No page here</h1>
      <p>
        Nothing lives at <code>{location.pathname}</code>. Go to the <Link to="/">overview</Link>.
      </p>
    </section>
  );
}
