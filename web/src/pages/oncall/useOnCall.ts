import { useQueries, useQuery } from "@tanstack/react-query";
import { api, call, type Schemas } from "../../api/client";
import { twoWeeks } from "./timeline";

export type Schedule = Schemas["ScheduleOut"];
export const REFRESH_MS = 60_000;

/** Who is on call now in each schedule (the server's answer, gaps as user_id null). */
export function useOnCallNow(schedules: Schedule[]) {
  return useQueries({
    queries: schedules.map((s) => ({
      queryKey: ["oncall", "now", s.id],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        call(api.GET("/api/oncall/schedules/{schedule_id}/on-call", { params: { path: { schedule_id: s.id } }, signal })),
      refetchInterval: REFRESH_MS,
    })),
  });
}

/** The next two weeks (from midnight today) of final shifts, gaps and layers of each schedule. */
export function useTwoWeeks(schedules: Schedule[], window = twoWeeks()) {
  const start = window.start.toISOString();
  const end = window.end.toISOString();
  return useQueries({
    queries: schedules.map((s) => ({
      queryKey: ["oncall", "shifts", s.id, start],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        call(
          api.GET("/api/oncall/schedules/{schedule_id}/shifts", {
            params: { path: { schedule_id: s.id }, query: { start, end } },
            signal,
          }),
        ),
      refetchInterval: REFRESH_MS,
    })),
  });
}

/** The schedule's overrides and swaps that end after `after`. */
export function useOverrides(scheduleId: number | null, after: Date) {
  return useQuery({
    queryKey: ["oncall", "overrides", scheduleId, after.toISOString()],
    queryFn: ({ signal }) =>
      call(
        api.GET("/api/oncall/schedules/{schedule_id}/overrides", {
          params: { path: { schedule_id: scheduleId! }, query: { limit: 1000, after: after.toISOString() } },
          signal,
        }),
      ),
    enabled: scheduleId !== null,
  });
}
