import { fireEvent, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { currentUrl, renderAt } from "../test/render";
import { TimeRangePicker, useTimeRange } from "./TimeRangePicker";

function ShowRange() {
  const { key } = useTimeRange();
  return <output aria-label="range key">{key}</output>;
}

function Picker() {
  return (
    <>
      <TimeRangePicker />
      <ShowRange />
    </>
  );
}

describe("TimeRangePicker", () => {
  it("reads the range from the URL", () => {
    renderAt("/traces?range=24h&service=checkout", <Picker />);
    expect((screen.getByLabelText("Time range", { selector: "select" }) as HTMLSelectElement).value).toBe("24h");
    expect(screen.getByLabelText("range key").textContent).toBe("24h");
  });

  it("writes a preset into the URL and keeps the page's other parameters", async () => {
    renderAt("/traces?service=checkout", <Picker />);
    expect(screen.getByLabelText("range key").textContent).toBe("1h");
    await userEvent.setup().selectOptions(screen.getByLabelText("Time range", { selector: "select" }), "6h");
    expect(currentUrl()).toBe("/traces?service=checkout&range=6h");
    expect(screen.getByLabelText("range key").textContent).toBe("6h");
    // Back to the default: the URL is clean again.
    await userEvent.setup().selectOptions(screen.getByLabelText("Time range", { selector: "select" }), "1h");
    expect(currentUrl()).toBe("/traces?service=checkout");
  });

  it("applies a custom range as from/to and refuses an inverted one", async () => {
    renderAt("/logs", <Picker />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Time range", { selector: "select" }), "custom");
    const from = screen.getByLabelText("From");
    const to = screen.getByLabelText("To");
    fireEvent.change(from, { target: { value: "2025-03-02T10:00" } });
    fireEvent.change(to, { target: { value: "2025-03-01T10:00" } });
    await user.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByRole("alert").textContent).toBe("The start must be before the end.");
    expect(currentUrl()).toBe("/logs");

    fireEvent.change(to, { target: { value: "2025-03-02T12:30" } });
    await user.click(screen.getByRole("button", { name: "Apply" }));
    const params = new URLSearchParams(currentUrl().split("?")[1]);
    expect(new Date(params.get("from")!).getTime()).toBe(new Date("2025-03-02T10:00").getTime());
    expect(new Date(params.get("to")!).getTime()).toBe(new Date("2025-03-02T12:30").getTime());
    expect(params.get("range")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows a custom range from a shared link", () => {
    renderAt("/logs?from=2025-03-02T10:00:00.000Z&to=2025-03-02T11:00:00.000Z", <Picker />);
    expect((screen.getByLabelText("Time range", { selector: "select" }) as HTMLSelectElement).value).toBe("custom");
    expect(screen.getByLabelText("range key").textContent).toBe(
      `${Date.parse("2025-03-02T10:00:00.000Z")}..${Date.parse("2025-03-02T11:00:00.000Z")}`,
    );
  });
});
