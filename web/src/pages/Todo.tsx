import { usePageTitle } from "../components/usePageTitle";

/**
 * TODO(web): the starting point of an area whose page is not built yet. Each line in
 * routes.tsx that uses todo(...) is replaced by the area's real page (pages/<area>/).
 */
export function todo(area: string, planned: string) {
  function TodoPage() {
    usePageTitle(area);
    return (
      <section aria-labelledby="todo-title">
        <h1 id="todo-title">{area}</h1>
        <p className="muted">This page is being built. It will show: {planned}</p>
      </section>
    );
  }
  TodoPage.displayName = `Todo(${area})`;
  return TodoPage;
}
