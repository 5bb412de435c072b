import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { LoginPage } from "./auth/LoginPage";
import { RequireAuth } from "./auth/RequireAuth";
import { session } from "./auth/session";
import { Layout, NotFoundPage } from "./Layout";
import { areas } from "./routes";

/** Routes of the app; the router itself is given (BrowserRouter, or MemoryRouter in tests). */
export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        {areas.map(({ path, Page }) =>
          path === "/" ? (
            <Route key={path} index element={<Page />} />
          ) : (
            <Route key={path} path={`${path.slice(1)}/*`} element={<Page />} />
          ),
        )}
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  // A session that ends (logout, or a 401) drops every cached answer.
  useEffect(
    () =>
      session.subscribe(() => {
        if (!session.token()) queryClient.clear();
      }),
    [queryClient],
  );
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
