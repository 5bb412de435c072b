import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { currentUrl, fakeApi, problem, renderAt } from "../test/render";
import { safeNext } from "./LoginPage";
import { session } from "./session";

const TOKEN = "eyJ.test.token";

describe("login", () => {
  it("sends the user to the login page, logs in, and returns to the page asked for", async () => {
    const calls = fakeApi((call) => {
      if (call.path === "/api/auth/login") {
        const { email, password } = call.body as { email: string; password: string };
        return email === "admin@example.com" && password === "right-password"
          ? { body: { access_token: TOKEN, token_type: "bearer", expires_in: 3600 } }
          : problem(401, "Wrong email or password.");
      }
      return undefined;
    });
    renderAt("/alerts?range=6h");
    expect(await screen.findByRole("heading", { name: "Sentinel" })).toBeTruthy();
    expect(currentUrl()).toBe(`/login?next=${encodeURIComponent("/alerts?range=6h")}`);

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "admin@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Wrong email or password.");
    expect(session.token()).toBeNull();

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "right-password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("heading", { name: "Alerts" })).toBeTruthy();
    expect(currentUrl()).toBe("/alerts?range=6h");
    expect(session.snapshot().current?.email).toBe("admin@example.com");
    expect(JSON.parse(localStorage.getItem("sentinel.session") ?? "{}").token).toBe(TOKEN);
    expect(calls.filter((c) => c.path === "/api/auth/login")).toHaveLength(2);
  });

  it("sends the token as a Bearer header and logs out", async () => {
    session.start(TOKEN, "admin@example.com", 3600);
    const calls = fakeApi(() => undefined);
    renderAt("/");
    expect(await screen.findByText("No traces in last hour")).toBeTruthy();
    const apiCalls = calls.filter((c) => c.path.startsWith("/api/"));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true);

    await userEvent.setup().click(screen.getByRole("button", { name: "Log out" }));
    expect(await screen.findByText("You are logged out.")).toBeTruthy();
    expect(session.token()).toBeNull();
    expect(localStorage.getItem("sentinel.session")).toBeNull();
  });

  it("only returns to paths of this app after login", () => {
    expect(safeNext("/traces/abc?range=1h")).toBe("/traces/abc?range=1h");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("/login?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});

describe("an expired session", () => {
  it("says so on a 401 and comes back to the same page after login", async () => {
    session.start("expired-token", "admin@example.com", 3600);
    let loggedIn = false;
    fakeApi((call) => {
      if (call.path === "/api/auth/login") {
        loggedIn = true;
        return { body: { access_token: TOKEN, token_type: "bearer", expires_in: 3600 } };
      }
      if (call.authorization !== `Bearer ${TOKEN}`) return problem(401, "The token has expired.");
      return undefined;
    });
    renderAt("/?range=24h");
    expect(await screen.findByText("Your session expired — log in again.")).toBeTruthy();
    expect(currentUrl()).toBe(`/login?next=${encodeURIComponent("/?range=24h")}`);

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "admin@example.com");
    await user.type(screen.getByLabelText("Password"), "secret-password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("heading", { name: "Overview" })).toBeTruthy();
    expect(loggedIn).toBe(true);
    expect(currentUrl()).toBe("/?range=24h");
    await waitFor(() => expect(screen.getByText("No traces in last 24 hours")).toBeTruthy());
  });

  it("is noticed at start when the stored token is past its expiry", async () => {
    localStorage.setItem(
      "sentinel.session",
      JSON.stringify({ token: "old", email: "a@example.com", expiresAt: Date.now() - 1000 }),
    );
    session.reset();
    fakeApi(() => undefined);
    renderAt("/incidents");
    expect(await screen.findByText("Your session expired — log in again.")).toBeTruthy();
  });
});
