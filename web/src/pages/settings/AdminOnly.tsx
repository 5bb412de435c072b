import { ApiError } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";

/** A 403 says who may see this; anything else is the usual error banner. */
export function LoadError({ error, what, onRetry }: { error: unknown; what: string; onRetry: () => void }) {
  if (error instanceof ApiError && error.status === 403) {
    return (
      <EmptyState title={`Only administrators can see ${what}.`}>
        <p>Ask an admin for access, or log in with an admin account.</p>
      </EmptyState>
    );
  }
  return <ErrorBanner error={error} what={what} onRetry={onRetry} />;
}
