import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { api, call } from "../api/client";
import { ErrorBanner } from "../components/ErrorBanner";
import { ThemeToggle } from "../theme";
import { session, useSession } from "./session";

/** Where to go after login: a path of this app only (never another site). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/login")) return "/";
  return next;
}

export function LoginPage() {
  const { current, ended } = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const id = useId();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    document.title = "Log in · Sentinel";
  }, []);

  if (current && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await call(api.POST("/api/auth/login", { body: { email, password } }));
      queryClient.clear();
      session.start(token.access_token, email, token.expires_in);
      navigate(next, { replace: true });
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <div className="login-theme">
        <ThemeToggle />
      </div>
      <form className="login-card" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>Sentinel</h1>
        {ended === "expired" && (
          <p className="notice" role="status">
            Your session expired — log in again.
          </p>
        )}
        {ended === "logged-out" && (
          <p className="notice" role="status">
            You are logged out.
          </p>
        )}
        {error !== null && <ErrorBanner error={error} title="Login failed" />}
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          First start? The admin login and password were printed by <code>sentinel serve</code>. Lost it? Run{" "}
          <code>sentinel create-user --role admin --email you@example.com</code>.
        </p>
      </form>
    </div>
  );
}
