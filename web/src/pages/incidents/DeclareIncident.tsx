import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api, call } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SEVERITIES } from "./common";

/** Open an incident by hand (status triggered) and go to its war room. */
export function DeclareIncident({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [title, setTitle] = useState("");
  const [severity, setSeverity] = useState<(typeof SEVERITIES)[number]>("high");
  const [services, setServices] = useState("");
  const declare = useMutation({
    mutationFn: () =>
      call(
        api.POST("/api/incidents", {
          body: {
            title: title.trim(),
            description: "",
            severity,
            affected_services: services
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean),
          },
        }),
      ),
    onSuccess: async (incident) => {
      await queryClient.invalidateQueries({ queryKey: ["incidents"] });
      navigate(`/incidents/${incident.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim()) declare.mutate();
  };
  return (
    <form className="panel form-grid" onSubmit={submit} aria-label="Declare an incident">
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={500} placeholder="Checkout failing for card payments" />
      </label>
      <label>
        Severity
        <select value={severity} onChange={(e) => setSeverity(e.target.value as (typeof SEVERITIES)[number])}>
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Affected services (comma separated)
        <input value={services} onChange={(e) => setServices(e.target.value)} placeholder="checkout, payments" />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={declare.isPending || !title.trim()}>
          Declare
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {declare.isError && <ErrorBanner error={declare.error} title="Could not declare the incident" />}
    </form>
  );
}
