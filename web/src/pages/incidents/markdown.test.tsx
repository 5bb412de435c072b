import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown, safeHref } from "./markdown";

// Rendering through the router and react-query takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };

describe("Markdown", SLOW, () => {
  it("shows raw HTML as text and never injects it", () => {
    const text = [
      "# Post-mortem: <script>alert('title')</script> (incident 3)",
      "",
      'Checkout <img src=x onerror="alert(1)"> failed; <b>bold?</b> <iframe src="https://evil.example"></iframe>',
      "",
      "| time | what |",
      "|---|---|",
      "| 12:00 | <svg onload=alert(2)> a \\| b |",
    ].join("\n");
    const { container } = render(<Markdown text={text} />);
    for (const tag of ["script", "img", "b", "iframe", "svg"]) expect(container.querySelector(tag)).toBeNull();
    expect(container.querySelector("[onerror],[onload]")).toBeNull();
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Post-mortem: <script>alert('title')</script> (incident 3)");
    expect(container.textContent).toContain('Checkout <img src=x onerror="alert(1)"> failed; <b>bold?</b>');
    expect(screen.getByRole("cell", { name: "<svg onload=alert(2)> a | b" })).toBeTruthy();
  });

  it("links only to http(s), mailto and paths of this site", () => {
    const { container } = render(
      <Markdown text={"[ok](https://example.com/x) [here](/traces/abc) [bad](javascript:alert(1)) [data](data:text/html,hi) [proto](//evil.example)"} />,
    );
    const hrefs = [...container.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(hrefs).toEqual(["https://example.com/x", "/traces/abc"]);
    expect(container.textContent).toContain("[bad](javascript:alert(1))");
    expect(safeHref(" JavaScript:alert(1)")).toBeNull();
    expect(safeHref("mailto:sre@example.com")).toBe("mailto:sre@example.com");
  });

  it("renders what a post-mortem and a runbook use: headings, lists, tasks, tables, code, emphasis", () => {
    const text = [
      "## Summary",
      "",
      "Pool **exhausted** after `payments 4.1.3`, see *the runbook*.",
      "",
      "1. **payments** (service, score 0.92): deepest failing",
      "   - Evidence: reasons: error rate 0% → 63%",
      "1. **checkout** (service, score 0.40): victim",
      "",
      "- [x] Raise the pool",
      "- [ ] Alert on saturation (owner: ana)",
      "",
      "```",
      "SELECT count(*) FROM pg_stat_activity;",
      "```",
    ].join("\n");
    const { container } = render(<Markdown text={text} headingOffset={1} />);
    expect(screen.getByRole("heading", { level: 3, name: "Summary" })).toBeTruthy();
    expect(container.querySelector("strong")?.textContent).toBe("exhausted");
    expect(container.querySelector("p code")?.textContent).toBe("payments 4.1.3");
    expect(container.querySelector("em")?.textContent).toBe("the runbook");
    const ordered = container.querySelector("ol")!;
    expect(ordered.children).toHaveLength(2);
    expect(ordered.querySelector("li ul li")?.textContent).toBe("Evidence: reasons: error rate 0% → 63%");
    const boxes = [...container.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    expect(container.querySelector("pre code")?.textContent).toBe("SELECT count(*) FROM pg_stat_activity;");
  });

  it("leaves the stars of a log template alone", () => {
    const { container } = render(<Markdown text={"- Evidence: template: charge <*> failed for order <*> (<NUM> left), 2 * 3 * 4"} />);
    expect(container.querySelector("em")).toBeNull();
    expect(container.textContent).toBe("Evidence: template: charge <*> failed for order <*> (<NUM> left), 2 * 3 * 4");
  });
});
