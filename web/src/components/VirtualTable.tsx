import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, type KeyboardEvent, type ReactNode } from "react";

export interface Column<Row> {
  /** Unique id of the column. */
  id: string;
  header: string;
  cell: (row: Row) => ReactNode;
  /** CSS grid track, e.g. "8rem" or "2fr" (default "1fr"). */
  width?: string;
  align?: "start" | "end";
}

export interface VirtualTableProps<Row> {
  rows: readonly Row[];
  columns: Column<Row>[];
  rowKey: (row: Row, index: number) => string;
  /** Accessible name of the table. */
  label: string;
  rowHeight?: number;
  /** Height of the scrolling body in px (default: up to 12 rows). */
  height?: number;
  /** Makes rows focusable and activatable with Enter/Space. */
  onRowActivate?: (row: Row) => void;
  /** Rows rendered beyond the visible ones, above and below. */
  overscan?: number;
}

/**
 * A table whose body renders only the visible rows, so 5,000+ rows stay smooth. Rows have a
 * fixed height. ARIA table semantics (role=table/row/cell) with the full row count.
 */
export function VirtualTable<Row>({
  rows,
  columns,
  rowKey,
  label,
  rowHeight = 32,
  height,
  onRowActivate,
  overscan = 10,
}: VirtualTableProps<Row>) {
  const scroller = useRef<HTMLDivElement>(null);
  const bodyHeight = height ?? Math.min(rows.length, 12) * rowHeight;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan,
    initialRect: { width: 800, height: bodyHeight },
  });
  const template = columns.map((c) => c.width ?? "1fr").join(" ");

  const onKey = (event: KeyboardEvent, row: Row) => {
    if (onRowActivate && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      onRowActivate(row);
    }
  };

  return (
    <div className="vtable" role="table" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className="vtable-row vtable-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.id} role="columnheader" className={c.align === "end" ? "num" : undefined}>
            {c.header}
          </div>
        ))}
      </div>
      <div ref={scroller} className="vtable-body" style={{ height: bodyHeight, overflowY: "auto" }} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={rowKey(row, item.index)}
                role="row"
                aria-rowindex={item.index + 2}
                className={`vtable-row${onRowActivate ? " clickable" : ""}`}
                tabIndex={onRowActivate ? 0 : undefined}
                onClick={onRowActivate ? () => onRowActivate(row) : undefined}
                onKeyDown={onRowActivate ? (event) => onKey(event, row) : undefined}
                style={{
                  gridTemplateColumns: template,
                  position: "absolute",
                  top: 0,
                  left: 0,
                  right: 0,
                  height: rowHeight,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {columns.map((c) => (
                  <div key={c.id} role="cell" className={c.align === "end" ? "num" : undefined}>
                    {c.cell(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
