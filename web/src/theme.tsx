// Light and dark themes: CSS variables in styles.css, switched by <html data-theme>. The
// choice is kept in localStorage; without one, the system preference decides (index.html
// applies a stored choice before the first paint).
import { useSyncExternalStore } from "react";

export type Theme = "light" | "dark";
const KEY = "sentinel.theme";
const listeners = new Set<() => void>();

function systemTheme(): Theme {
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function storedTheme(): Theme | null {
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

let current: Theme = storedTheme() ?? systemTheme();

function apply(theme: Theme): void {
  if (typeof document !== "undefined") document.documentElement.dataset.theme = theme;
}
apply(current);

export const theme = {
  get: (): Theme => current,
  set(next: Theme): void {
    current = next;
    try {
      globalThis.localStorage?.setItem(KEY, next);
    } catch {
      // not kept, but applied
    }
    apply(next);
    for (const listener of listeners) listener();
  },
  toggle(): void {
    theme.set(current === "dark" ? "light" : "dark");
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};

export function useTheme(): Theme {
  return useSyncExternalStore(theme.subscribe, theme.get, theme.get);
}

export function ThemeToggle() {
  const active = useTheme();
  const next = active === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="icon-button"
      onClick={theme.toggle}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
    >
      <span aria-hidden="true">{active === "dark" ? "☀" : "☾"}</span>
    </button>
  );
}
