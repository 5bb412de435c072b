// The login session: a bearer token kept in localStorage (so a deep link opened in a new
// tab stays logged in), with its expiry. Components read it with useSession().
import { useSyncExternalStore } from "react";

const KEY = "sentinel.session";

export interface Stored {
  token: string;
  email: string;
  /** epoch milliseconds */
  expiresAt: number;
}

/** Why there is no session: never logged in (null), logged out, or the token expired. */
export type EndReason = "expired" | "logged-out" | null;

export interface SessionState {
  current: Stored | null;
  ended: EndReason;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let state: SessionState = load();

function load(): SessionState {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    if (!raw) return { current: null, ended: null };
    const stored = JSON.parse(raw) as Stored;
    if (typeof stored.token !== "string" || typeof stored.expiresAt !== "number") {
      return { current: null, ended: null };
    }
    if (stored.expiresAt <= Date.now()) {
      globalThis.localStorage.removeItem(KEY);
      return { current: null, ended: "expired" };
    }
    return { current: stored, ended: null };
  } catch {
    return { current: null, ended: null };
  }
}

function set(next: SessionState): void {
  state = next;
  try {
    if (next.current) globalThis.localStorage?.setItem(KEY, JSON.stringify(next.current));
    else globalThis.localStorage?.removeItem(KEY);
  } catch {
    // storage unavailable (private mode): the session lives in memory only
  }
  for (const listener of listeners) listener();
}

export const session = {
  snapshot: (): SessionState => state,
  token: (): string | null => state.current?.token ?? null,
  start(token: string, email: string, expiresInSeconds: number): void {
    set({ current: { token, email, expiresAt: Date.now() + expiresInSeconds * 1000 }, ended: null });
  },
  logout(): void {
    set({ current: null, ended: "logged-out" });
  },
  /** The server refused the token (401): the session is over. */
  expire(): void {
    if (state.current) set({ current: null, ended: "expired" });
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
  /** Tests: start from a clean slate (re-reading storage). */
  reset(): void {
    state = load();
    for (const listener of listeners) listener();
  },
};

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.snapshot, session.snapshot);
}
