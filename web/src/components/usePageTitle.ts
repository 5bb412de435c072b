import { useEffect } from "react";

/** The browser tab's title: "<title> · Sentinel". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Sentinel`;
  }, [title]);
}
