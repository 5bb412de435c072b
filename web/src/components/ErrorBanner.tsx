import { ApiError } from "../api/client";

/** Shows what the API said (its problem+json title, detail and request id). */
export interface ErrorBannerProps {
  error: unknown;
  /** "Could not load <what>" */
  what?: string;
  /** The whole heading instead, e.g. "Login failed". */
  title?: string;
  onRetry?: () => void;
}

export function ErrorBanner({ error, onRetry, what, title }: ErrorBannerProps) {
  let heading = title ?? (what ? `Could not load ${what}` : "Something went wrong");
  let detail = error instanceof Error ? error.message : String(error);
  let requestId: string | undefined;
  let fields: { field: string; message: string }[] = [];
  if (error instanceof ApiError) {
    const { problem, status } = error;
    if (status > 0) heading += ` (${status}${problem.title ? ` ${problem.title}` : ""})`;
    detail = problem.detail ?? detail;
    requestId = problem.request_id;
    fields = problem.errors ?? [];
  }
  return (
    <div className="error-banner" role="alert">
      <strong>{heading}</strong>
      <p>{detail}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {requestId && <p className="muted">Request id: {requestId}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
