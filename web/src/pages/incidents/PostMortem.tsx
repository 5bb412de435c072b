import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useLocation, useParams } from "react-router";
import { api, call } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { keepTimeRange } from "../../components/timeRange";
import { usePageTitle } from "../../components/usePageTitle";
import { keys } from "./common";
import { Markdown } from "./markdown";

export function postMortemFileName(incidentId: number, title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `incident-${incidentId}${slug ? `-${slug}` : ""}-post-mortem.md`;
}

/** Saves text as a file through a temporary object URL. */
function saveAs(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** /incidents/<id>/post-mortem: the draft rendered, and the Markdown to download. */
export function PostMortemPage() {
  const incidentId = Number(useParams().incidentId);
  const search = keepTimeRange(useLocation().search);
  usePageTitle(`Post-mortem #${incidentId}`);
  const doc = useQuery({
    queryKey: keys.postMortem(incidentId),
    queryFn: ({ signal }) => call(api.GET("/api/incidents/{incident_id}/post-mortem", { params: { path: { incident_id: incidentId } }, signal })) as Promise<{ markdown?: string; title?: string }>,
    enabled: Number.isInteger(incidentId),
  });
  const download = useMutation({
    mutationFn: async () => {
      // The server's own Markdown (?format=markdown), exactly as an API client gets it.
      const text = await call(
        api.GET("/api/incidents/{incident_id}/post-mortem", { params: { path: { incident_id: incidentId }, query: { format: "markdown" } }, parseAs: "text" }),
      );
      saveAs(String(text), postMortemFileName(incidentId, doc.data?.title ?? ""));
    },
  });
  return (
    <div className="incidents post-mortem">
      <p className="crumbs">
        <Link to={{ pathname: "/incidents", search }}>Incidents</Link> › <Link to={{ pathname: `/incidents/${incidentId}`, search }}>#{incidentId}</Link> › Post-mortem
      </p>
      <div className="page-head">
        <h1>Post-mortem{doc.data?.title ? `: ${doc.data.title}` : ""}</h1>
        <button type="button" className="primary" onClick={() => download.mutate()} disabled={download.isPending || !doc.isSuccess}>
          Download .md
        </button>
      </div>
      {download.isError && <ErrorBanner error={download.error} title="The download failed" />}
      {doc.isPending ? (
        <Loading label="Drafting the post-mortem" />
      ) : doc.isError ? (
        <ErrorBanner error={doc.error} what="the post-mortem" onRetry={() => doc.refetch()} />
      ) : (
        <article className="panel" aria-label="Post-mortem document">
          <Markdown text={doc.data.markdown ?? ""} headingOffset={1} />
        </article>
      )}
    </div>
  );
}
