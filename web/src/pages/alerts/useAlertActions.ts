import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call } from "../../api/client";

/** Acknowledge or resolve one alert; every alerts query is refreshed afterwards. */
export function useAlertAction(action: "acknowledge" | "resolve") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (alertId: number) =>
      call(
        action === "acknowledge"
          ? api.POST("/api/alerts/{alert_id}/acknowledge", { params: { path: { alert_id: alertId } } })
          : api.POST("/api/alerts/{alert_id}/resolve", { params: { path: { alert_id: alertId } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });
}

/** Acknowledge or resolve every open alert of a group (the whole page) and stop its escalation. */
export function useGroupAction(action: "acknowledge" | "resolve") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (groupId: number) =>
      call(
        action === "acknowledge"
          ? api.POST("/api/alerts/groups/{group_id}/acknowledge", { params: { path: { group_id: groupId } } })
          : api.POST("/api/alerts/groups/{group_id}/resolve", { params: { path: { group_id: groupId } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });
}
