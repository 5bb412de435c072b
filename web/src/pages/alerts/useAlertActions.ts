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
