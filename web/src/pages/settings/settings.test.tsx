import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { fakeApi, problem, renderAt } from "../../test/render";

// Rendering through the router and react-query takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };

// The areas are lazy-loaded: their first render may take a while on a busy machine.
const LAZY = { timeout: 10_000 };

const SECRET = "snt_7f3c9e2a1b4d6f8e0a2c4e6f8a0b2c4d";
const me = { kind: "user", id: 1, name: "admin@example.com", role: "admin", scopes: [], permissions: ["admin", "ingest", "read", "respond", "write"], team_ids: [] };
const key = (id: number, name: string, extra: object = {}): Record<string, unknown> & { id: number } => ({
  id,
  name,
  prefix: "snt_7f3c",
  scopes: ["ingest"],
  created_at: new Date().toISOString(),
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  ...extra,
});

describe("Settings → API keys", SLOW, () => {
  it("creates a key with scopes, shows its secret once with copy, and revokes a key", async () => {
    session.start("token", "admin@example.com", 3600);
    let keys = [key(1, "e2e")];
    const calls = fakeApi((call) => {
      if (call.path === "/api/auth/me") return { body: me };
      if (call.path === "/api/api-keys" && call.method === "GET") return { body: { items: keys, next_cursor: null } };
      if (call.path === "/api/api-keys" && call.method === "POST") {
        const created = key(2, "prometheus", { scopes: ["ingest", "read"] });
        keys = [created, ...keys];
        return { status: 201, body: { ...created, key: SECRET } };
      }
      if (call.path === "/api/api-keys/1" && call.method === "DELETE") {
        keys = keys.map((k) => (k.id === 1 ? { ...k, revoked_at: new Date().toISOString() } : k));
        return { status: 204 };
      }
      return undefined;
    });
    renderAt("/settings/api-keys");
    expect(await screen.findByRole("heading", { name: "API keys" }, LAZY)).toBeTruthy();
    expect(await screen.findByRole("rowheader", { name: "e2e" })).toBeTruthy();

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "prometheus");
    await user.click(screen.getByRole("checkbox", { name: /^read/ }));
    await user.click(screen.getByRole("button", { name: "Create key" }));
    const shown = await screen.findByRole("region", { name: "New API key" });
    expect(within(shown).getByLabelText("The new API key").textContent).toBe(SECRET);
    expect(within(shown).getByRole("button", { name: "Copy The new API key" })).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "prometheus", scopes: ["ingest", "read"], expires_at: null });
    expect(await screen.findByRole("rowheader", { name: "prometheus" })).toBeTruthy();
    // The list never holds the secret, only its first characters.
    expect(within(screen.getByRole("table")).queryByText(SECRET)).toBeNull();

    await user.click(within(shown).getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByText(SECRET)).toBeNull();

    await user.click(screen.getByRole("button", { name: "Revoke e2e" }));
    await user.click(screen.getByRole("button", { name: "Yes, revoke" }));
    await waitFor(() => expect(screen.getByRole("rowheader", { name: "e2e" }).closest("tr")?.className).toBe("revoked"));
  });

  it("tells a non-admin who may see the keys", async () => {
    session.start("token", "viewer@example.com", 3600);
    fakeApi((call) => (call.path === "/api/api-keys" ? problem(403, "This needs the 'admin' permission.") : undefined));
    renderAt("/settings/api-keys");
    expect(await screen.findByText("Only administrators can see API keys.", {}, LAZY)).toBeTruthy();
  });
});

describe("Settings → Connect your tools", SLOW, () => {
  it("shows the snippets with this server's URL", async () => {
    session.start("token", "admin@example.com", 3600);
    fakeApi(() => undefined);
    renderAt("/settings");
    const sdk = await screen.findByLabelText("OpenTelemetry SDK (any language): the service's environment", {}, LAZY);
    expect(sdk.textContent).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${location.origin}`);
    expect(screen.getByLabelText("Prometheus alerting: prometheus.yml").textContent).toContain(`targets: ["${location.host}`);
    expect(screen.getByLabelText("An existing Alertmanager (webhook receiver): alertmanager.yml").textContent).toContain(`${location.origin}/api/integrations/alertmanager`);
  });
});

describe("Settings → Notification channels", SLOW, () => {
  it("shows each channel's settings and whether secrets are set, never a value", async () => {
    session.start("token", "admin@example.com", 3600);
    fakeApi((call) =>
      call.path === "/api/notify/channels"
        ? {
            body: {
              public_url: "https://sentinel.example.com",
              channels: [
                {
                  channel: "slack",
                  label: "Slack",
                  configured: true,
                  summary: "Incoming-webhook addresses always work.",
                  settings: { SENTINEL_NOTIFY_SLACK_API_URL: "https://slack.com/api" },
                  secrets: { SENTINEL_NOTIFY_SLACK_BOT_TOKEN: true, SENTINEL_NOTIFY_SLACK_SIGNING_SECRET: false },
                  callback_urls: { interactivity_request_url: "https://sentinel.example.com/api/notify/slack/interactions" },
                },
              ],
            },
          }
        : undefined,
    );
    renderAt("/settings/channels");
    const slack = await screen.findByRole("region", { name: "Slack" }, LAZY);
    expect(within(slack).getByRole("row", { name: /SLACK_BOT_TOKEN/ }).textContent).toContain("set (hidden)");
    expect(within(slack).getByRole("row", { name: /SLACK_SIGNING_SECRET/ }).textContent).toContain("not set");
    expect(within(slack).getByLabelText("Slack: interactivity request url").textContent).toBe("https://sentinel.example.com/api/notify/slack/interactions");
  });
});

describe("Settings → Users", SLOW, () => {
  it("shows a change of role or access from the click on, while the server is still answering", async () => {
    session.start("token", "admin@example.com", 3600);
    const person = { id: 2, email: "alice@example.com", name: "Alice", role: "viewer", is_active: false, time_zone: "UTC", created_at: new Date().toISOString(), last_login_at: null, team_ids: [] };
    let answer: () => void = () => undefined;
    const slow = () => new Promise<void>((done) => (answer = done));
    const calls = fakeApi((call) => {
      if (call.path === "/api/auth/me") return { body: me };
      if (call.path === "/api/users" && call.method === "GET") return { body: { items: [person], next_cursor: null } };
      if (call.path === "/api/users/2" && call.method === "PATCH") {
        Object.assign(person, call.body);
        return { body: person, wait: slow() };
      }
      return undefined;
    });
    renderAt("/settings/users");
    const access = await screen.findByRole("checkbox", { name: "alice@example.com may log in" }, LAZY);
    const user = userEvent.setup();

    await user.click(access);
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect((access as HTMLInputElement).checked).toBe(true);
    expect((access as HTMLInputElement).disabled).toBe(true);
    answer();
    await waitFor(() => expect((access as HTMLInputElement).disabled).toBe(false));
    expect((access as HTMLInputElement).checked).toBe(true);

    const role = screen.getByRole("combobox", { name: "Role of alice@example.com" }) as HTMLSelectElement;
    await user.selectOptions(role, "responder");
    expect(role.value).toBe("responder");
    answer();
    await waitFor(() => expect(role.disabled).toBe(false));
    expect(role.value).toBe("responder");
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ is_active: true }, { role: "responder" }]);
  });
});
