import type { ReactNode } from "react";

/**
 * Nothing to show — and what to do next. Always say how to get data here:
 *   <EmptyState title="No traces yet">Point an OpenTelemetry SDK at … <CodeBlock …/></EmptyState>
 */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-next">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
