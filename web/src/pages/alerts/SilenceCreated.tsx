import { Link, useLocation } from "react-router";
import type { Schemas } from "../../api/client";
import { formatRelative } from "../../components/format";
import { keepTimeRange } from "../../components/timeRange";

/** "Silence created" with where to find it. */
export function SilenceCreated({ silence, onDismiss }: { silence: Schemas["SilenceOut"]; onDismiss: () => void }) {
  const search = keepTimeRange(useLocation().search);
  return (
    <div className="notice" role="status">
      Silence created for <code>{silence.matchers.join(", ")}</code>, ends {formatRelative(silence.ends_at)}.{" "}
      <Link to={{ pathname: "/alerts/silences", search }}>See silences</Link>{" "}
      <button type="button" className="link-button" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
