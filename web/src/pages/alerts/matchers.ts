// Matchers in Alertmanager's text form (`name="value"`, `name=~"a|b"`), as the silence
// API takes them. Pure.

export const MATCH_OPS = ["=", "!=", "=~", "!~"] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export interface MatcherDraft {
  name: string;
  op: MatchOp;
  value: string;
}

/** A label value inside double quotes, escaped as Alertmanager's parser expects. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

export function formatMatcher(m: MatcherDraft): string {
  return `${m.name}${m.op}${quote(m.value)}`;
}

/** Label names first by importance (alertname, service, severity), then alphabetically. */
const FIRST = ["alertname", "service", "severity"];

export function sortedLabelNames(labels: Record<string, string>): string[] {
  return Object.keys(labels).sort((a, b) => {
    const ia = FIRST.indexOf(a);
    const ib = FIRST.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    return a.localeCompare(b);
  });
}

/** One equality matcher per label: the silence an alert's "Silence…" button starts from. */
export function matchersFromLabels(labels: Record<string, string>): MatcherDraft[] {
  return sortedLabelNames(labels).map((name) => ({ name, op: "=", value: labels[name] ?? "" }));
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What is wrong with a matcher the user typed, or null. */
export function matcherProblem(m: MatcherDraft): string | null {
  if (!LABEL_NAME.test(m.name)) return `"${m.name}" is not a label name (letters, digits and _, not starting with a digit)`;
  if (m.op === "=~" || m.op === "!~") {
    try {
      new RegExp(`^(?:${m.value})$`);
    } catch {
      return `${m.name}${m.op}: the value is not a valid regular expression`;
    }
  }
  return null;
}

/** Does a label set match every matcher (Alertmanager's rules: a missing label is ""; regexes anchored)? */
export function labelsMatch(labels: Record<string, string>, matchers: MatcherDraft[]): boolean {
  return matchers.every((m) => {
    const value = labels[m.name] ?? "";
    switch (m.op) {
      case "=":
        return value === m.value;
      case "!=":
        return value !== m.value;
      case "=~":
        return new RegExp(`^(?:${m.value})$`).test(value);
      case "!~":
        return !new RegExp(`^(?:${m.value})$`).test(value);
    }
  });
}

export const SILENCE_DURATIONS: { label: string; minutes: number }[] = [
  { label: "30 minutes", minutes: 30 },
  { label: "1 hour", minutes: 60 },
  { label: "2 hours", minutes: 120 },
  { label: "4 hours", minutes: 240 },
  { label: "8 hours", minutes: 480 },
  { label: "1 day", minutes: 1440 },
  { label: "3 days", minutes: 4320 },
  { label: "1 week", minutes: 10080 },
];
