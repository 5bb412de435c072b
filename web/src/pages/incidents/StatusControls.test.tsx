import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { session } from "../../auth/session";
import { fakeApi, renderAt } from "../../test/render";
import { incident } from "../../test/incidentFixtures";
import { StatusControls } from "./StatusControls";

// Rendering through the router and react-query takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };

const names = () => screen.getAllByRole("button").map((b) => b.textContent);

describe("StatusControls", SLOW, () => {
  it("offers only the moves the server allows from the current status", () => {
    session.start("token", "a@example.com", 3600);
    fakeApi(() => undefined);
    renderAt("/incidents/5", <StatusControls incident={incident()} canRespond />);
    expect(names()).toEqual(["Identified", "Monitoring", "Resolve"]);
  });

  it("offers reopen and close for a resolved incident, nothing for a closed one", () => {
    fakeApi(() => undefined);
    const view = renderAt("/incidents/5", <StatusControls incident={incident({ status: "resolved", allowed_transitions: ["investigating", "closed"] })} canRespond />);
    expect(names()).toEqual(["Reopen", "Close"]);
    view.unmount();
    renderAt("/incidents/5", <StatusControls incident={incident({ status: "closed", allowed_transitions: [] })} canRespond />);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
    expect(screen.getByText("Closed is final: the post-mortem is done.")).toBeTruthy();
  });

  it("sends the move with its note, and on a 409 shows the moves the server allows now", async () => {
    session.start("token", "a@example.com", 3600);
    const calls = fakeApi((call) => {
      if (call.method === "POST" && call.path === "/api/incidents/5/status") {
        return {
          status: 409,
          body: {
            type: "about:blank",
            title: "Conflict",
            status: 409,
            detail: "Cannot move from resolved to resolved; allowed from resolved: investigating, closed.",
            current: "resolved",
            allowed: ["investigating", "closed"],
          },
        };
      }
      if (call.path === "/api/incidents/5") return { body: incident({ status: "resolved", allowed_transitions: ["investigating", "closed"] }) };
      return undefined;
    });
    renderAt("/incidents/5", <StatusControls incident={incident()} canRespond />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Status message"), "pool raised to 40");
    await user.click(screen.getByRole("button", { name: "Resolve" }));
    expect((await screen.findByRole("alert")).textContent).toContain("allowed from resolved: investigating, closed");
    await waitFor(() => expect(names().filter((n) => n !== "Try again")).toEqual(["Reopen", "Close"]));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({ status: "resolved", message: "pool raised to 40" });
    expect(post.authorization).toBe("Bearer token");
  });

  it("tells a viewer what the moves are without offering them", () => {
    fakeApi(() => undefined);
    renderAt("/incidents/5", <StatusControls incident={incident()} canRespond={false} />);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });
});
