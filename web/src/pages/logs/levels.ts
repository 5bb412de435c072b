// Log levels as the API names them (severity normalised to OTLP ranges), lowest first.
export const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type Level = (typeof LEVELS)[number];

/** CSS class of a level (colours in logs.css): "level-error", … */
export function levelClass(level: string): string {
  const known = (LEVELS as readonly string[]).includes(level.toUpperCase());
  return `level-${known ? level.toLowerCase() : "info"}`;
}

/** The colour variable of a level, for charts. */
export function levelColor(level: string): string {
  return `var(--${levelClass(level)})`;
}
