// Names for the ids the alerting and on-call answers carry (routes, teams, policies,
// users, schedules), each fetched once and shared by every component that asks.
import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";

const LIST = { limit: 1000 };
const STALE = 60_000;

export function useRoutes() {
  return useQuery({
    queryKey: ["alerts", "routes"],
    queryFn: ({ signal }) => call(api.GET("/api/alerting/routes", { params: { query: LIST }, signal })),
    staleTime: STALE,
  });
}

export function useTeams() {
  return useQuery({
    queryKey: ["lookup", "teams"],
    queryFn: ({ signal }) => call(api.GET("/api/teams", { params: { query: LIST }, signal })),
    staleTime: STALE,
  });
}

export function usePolicies() {
  return useQuery({
    queryKey: ["oncall", "policies"],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/escalation-policies", { params: { query: LIST }, signal })),
    staleTime: STALE,
  });
}

export function useUsers() {
  return useQuery({
    queryKey: ["lookup", "users"],
    queryFn: ({ signal }) => call(api.GET("/api/users", { params: { query: LIST }, signal })),
    staleTime: STALE,
  });
}

export function useSchedules() {
  return useQuery({
    queryKey: ["oncall", "schedules"],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/schedules", { params: { query: LIST }, signal })),
    staleTime: STALE,
  });
}

/** id → name from a list answer (empty while it loads). */
export function namesOf(items: { id: number; name: string }[] | undefined): Map<number, string> {
  return new Map((items ?? []).map((i) => [i.id, i.name]));
}
