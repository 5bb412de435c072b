// Severity and status badges shared by alerts, incidents and SLOs (colours in styles.css).

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge severity-${severity.toLowerCase()}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status.replace(/_/g, " ")}</span>;
}
