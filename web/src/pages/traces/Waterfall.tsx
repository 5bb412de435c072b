import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useRef, type KeyboardEvent } from "react";
import type { Schemas } from "../../api/client";
import { formatMs } from "../../components/format";
import { placeBar, rulerTicks, tickLabel, type Row, type Segment } from "./waterfall";

export type SpanNode = Schemas["SpanNode"];
export type SpanRow = Row<SpanNode>;

export const ROW_HEIGHT = 26;

export interface WaterfallProps {
  rows: readonly SpanRow[];
  /** The time shown, in ms from the trace's start: [0, duration], or a span's when zoomed. */
  view: readonly [number, number];
  traceStartNs: number;
  selected: string | null;
  collapsed: ReadonlySet<string>;
  /** Critical-path stretches per span (empty map: not highlighted). */
  critical: ReadonlyMap<string, Segment[]>;
  /** Spans matching the "find" box. */
  matches: ReadonlySet<string>;
  onSelect: (spanId: string) => void;
  onToggle: (spanId: string) => void;
  /** A colour per service (see colors.ts). */
  colours: ReadonlyMap<string, string>;
  height: number;
}

/**
 * The trace as a tree grid: one row per visible span (only the rows in view are in the
 * DOM, so 5,000 spans scroll smoothly), timing bars on a shared ruler, the critical path
 * drawn over the bars. Keyboard: ↑/↓ move, ←/→ collapse/expand (or go to parent/child),
 * Home/End, Enter toggles.
 */
export function Waterfall({ rows, view, traceStartNs, selected, collapsed, critical, matches, onSelect, onToggle, colours, height }: WaterfallProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 900, height },
  });
  const selectedIndex = selected ? rows.findIndex((r) => r.id === selected) : -1;
  // The selection as the keys left it: keys pressed faster than the page re-renders (a
  // held arrow, Home then ←) each act on the one before, not on the last rendered one.
  const latest = useRef({ selected, index: selectedIndex });
  useEffect(() => {
    latest.current = { selected, index: selectedIndex };
  }, [selected, selectedIndex]);

  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
  }, [selectedIndex, virtualizer]);

  const select = (id: string) => {
    latest.current = { selected: id, index: rows.findIndex((r) => r.id === id) };
    onSelect(id);
  };
  const move = (index: number) => {
    const at = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[at];
    if (row) {
      latest.current = { selected: row.id, index: at };
      onSelect(row.id);
    }
  };
  const onKey = (event: KeyboardEvent) => {
    const selectedIndex = latest.current.index;
    const current = selectedIndex >= 0 ? rows[selectedIndex] : undefined;
    const handled = (() => {
      switch (event.key) {
        case "ArrowDown":
          move(selectedIndex + 1);
          return true;
        case "ArrowUp":
          move(selectedIndex < 0 ? 0 : selectedIndex - 1);
          return true;
        case "PageDown":
          move(selectedIndex + 15);
          return true;
        case "PageUp":
          move(selectedIndex - 15);
          return true;
        case "Home":
          move(0);
          return true;
        case "End":
          move(rows.length - 1);
          return true;
        case "ArrowRight":
          if (!current) move(0);
          else if (current.childCount > 0 && collapsed.has(current.id)) onToggle(current.id);
          else if (current.childCount > 0) move(selectedIndex + 1);
          return true;
        case "ArrowLeft":
          if (current && current.childCount > 0 && !collapsed.has(current.id)) onToggle(current.id);
          else if (current?.parent) select(current.parent);
          return true;
        case "Enter":
        case " ":
          if (current && current.childCount > 0) onToggle(current.id);
          return true;
        default:
          return false;
      }
    })();
    if (handled) event.preventDefault();
  };

  const shown = view[1] - view[0] || 1;
  const ticks = rulerTicks(view[1], 5, view[0]);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : shown;
  return (
    <div className="wf">
      <div className="wf-head" aria-hidden="true">
        <div className="wf-name-head">Service and operation</div>
        <div className="wf-ruler">
          {ticks.map((t) => (
            <span key={t} className="wf-tick" style={{ left: `${((t - view[0]) / shown) * 100}%` }}>
              {tickLabel(t, step)}
            </span>
          ))}
        </div>
      </div>
      <div
        ref={scroller}
        className="wf-body"
        style={{ height: Math.min(height, rows.length * ROW_HEIGHT + 4) }}
        role="treegrid"
        aria-label={`Spans of the trace (${rows.length} shown)`}
        aria-rowcount={rows.length}
        aria-activedescendant={selected && selectedIndex >= 0 ? `wf-row-${selected}` : undefined}
        tabIndex={0}
        onKeyDown={onKey}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {ticks.map((t) => (
            <div key={t} className="wf-gridline" style={{ left: `calc(var(--wf-name) + (100% - var(--wf-name) - var(--wf-gutter)) * ${(t - view[0]) / shown})` }} />
          ))}
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <WaterfallRow
                key={row.id}
                row={row}
                index={item.index}
                top={item.start}
                view={view}
                traceStartNs={traceStartNs}
                selected={row.id === selected}
                collapsed={collapsed.has(row.id)}
                segments={critical.get(row.id)}
                match={matches.has(row.id)}
                onSelect={onSelect}
                onToggle={onToggle}
                colour={colours.get(row.span.service) ?? "var(--accent)"}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  row: SpanRow;
  index: number;
  top: number;
  view: readonly [number, number];
  traceStartNs: number;
  selected: boolean;
  collapsed: boolean;
  segments: Segment[] | undefined;
  match: boolean;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
  colour: string;
}

const WaterfallRow = memo(function WaterfallRow({
  row, index, top, view, traceStartNs, selected, collapsed, segments, match, onSelect, onToggle, colour,
}: RowProps) {
  const { span } = row;
  const bar = placeBar(row.offsetMs, row.durationMs, view);
  // The duration label goes after the bar, or before it when the bar ends near the right
  // edge, or inside its start when the bar fills the row.
  const label =
    bar.end <= 82
      ? { className: "wf-dur", style: { left: `calc(${Math.max(0, bar.end)}% + 4px)` } }
      : bar.start >= 12
        ? { className: "wf-dur", style: { right: `calc(${100 - Math.min(100, bar.start)}% + 4px)` } }
        : { className: "wf-dur inside", style: { left: `calc(${bar.left}% + 4px)` } };
  return (
    <div
      id={`wf-row-${row.id}`}
      role="row"
      aria-rowindex={index + 1}
      aria-level={row.depth + 1}
      aria-expanded={row.childCount > 0 ? !collapsed : undefined}
      aria-selected={selected}
      aria-label={`${span.service}: ${span.operation}, ${formatMs(row.durationMs)}${span.error ? ", error" : ""}`}
      className={`wf-row${selected ? " selected" : ""}${match ? " match" : ""}${span.error ? " error" : ""}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => onSelect(row.id)}
    >
      <div role="gridcell" className="wf-name" style={{ paddingLeft: `${0.3 + Math.min(row.depth, 30) * 0.85}rem` }}>
        {row.childCount > 0 ? (
          <button
            type="button"
            tabIndex={-1}
            className="wf-toggle"
            aria-label={`${collapsed ? "Expand" : "Collapse"} ${span.operation}`}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(row.id);
            }}
          >
            {collapsed ? "▸" : "▾"}
          </button>
        ) : (
          <span className="wf-leaf" aria-hidden="true" />
        )}
        <i className="wf-svc" style={{ background: colour }} aria-hidden="true" />
        <span className="wf-service">{span.service}</span>
        <span className="wf-op" title={span.operation}>
          {span.operation}
        </span>
        {span.error && (
          <span className="wf-error-mark" title={span.status_message || "error"} aria-hidden="true">
            !
          </span>
        )}
        {collapsed && <span className="count" title={`${row.descendants} spans hidden`}>+{row.descendants}</span>}
      </div>
      <div role="gridcell" className="wf-timeline">
        {bar.visible && (
          <div className="wf-bar" style={{ left: `${bar.left}%`, width: `max(2px, ${bar.width}%)`, background: colour }} />
        )}
        {segments?.map(([a, b]) => {
          const part = placeBar((a - traceStartNs) / 1e6, (b - a) / 1e6, view);
          return part.visible && part.width > 0 ? (
            <div key={a} className="wf-crit" style={{ left: `${part.left}%`, width: `max(1px, ${part.width}%)` }} />
          ) : null;
        })}
        <span className={label.className} style={label.style}>
          {formatMs(row.durationMs)}
        </span>
      </div>
    </div>
  );
});
