import { useQuery } from "@tanstack/react-query";
import { api, call, type Schemas } from "../api/client";

export type Me = Schemas["MeOut"];

/**
 * Who is logged in and what they may do (`permissions`: read, respond, write, ingest, admin).
 * The shell asks on every page load, so an expired session is noticed at once; pages use
 * it to hide actions the user may not take: `useMe().data?.permissions.includes("respond")`.
 */
export function useMe() {
  return useQuery({
    queryKey: ["auth", "me"],
    queryFn: ({ signal }) => call(api.GET("/api/auth/me", { signal })),
    staleTime: 60_000,
  });
}

export function can(me: Me | undefined, permission: string): boolean {
  return (me?.permissions ?? []).includes(permission);
}
