// A small Markdown renderer for post-mortems and runbooks that builds React elements —
// never HTML strings — so whatever an incident's title, update or runbook says (raw HTML,
// <script>, javascript: links) is shown as text. Covers what Sentinel writes: headings,
// paragraphs, bullet/numbered/task lists (nested by indentation), tables, fenced code,
// block quotes, rules, and inline code, bold, italic and links (http(s), mailto and
// same-site paths only).
import { Fragment, type ReactNode } from "react";

type Block =
  | { type: "heading"; level: number; text: string }
  | { type: "paragraph"; text: string }
  | { type: "code"; text: string; lang: string }
  | { type: "quote"; blocks: Block[] }
  | { type: "rule" }
  | { type: "table"; head: string[]; rows: string[][] }
  | { type: "list"; ordered: boolean; start: number; items: { task: boolean | null; blocks: Block[] }[] };

const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const FENCE = /^\s{0,3}(```|~~~)\s*([\w+-]*)\s*$/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = "";
  for (let i = 0; i < row.length; i++) {
    const ch = row[i]!;
    if (ch === "\\" && row[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (ch === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

const isTableSeparator = (line: string | undefined) =>
  line !== undefined && /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/.test(line) && line.includes("-");

export function parseBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      blocks.push({ type: "code", text: body.join("\n"), lang: fence[2] ?? "" });
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push({ type: "heading", level: heading[1]!.length, text: heading[2]! });
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }
    if (line.trimStart().startsWith("|") && isTableSeparator(lines[i + 1])) {
      const head = splitRow(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trim().startsWith("|")) rows.push(splitRow(lines[i++]!));
      blocks.push({ type: "table", head, rows });
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s{0,3}>\s?/, ""));
      blocks.push({ type: "quote", blocks: parseBlocks(body.join("\n")) });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const [list, next] = parseList(lines, i);
      blocks.push(list);
      i = next;
      continue;
    }
    const body: string[] = [];
    while (
      i < lines.length &&
      lines[i]!.trim() !== "" &&
      !FENCE.test(lines[i]!) &&
      !/^\s{0,3}#{1,6}\s/.test(lines[i]!) &&
      !LIST_ITEM.test(lines[i]!) &&
      !/^\s{0,3}>/.test(lines[i]!)
    ) {
      body.push(lines[i++]!.trim());
    }
    blocks.push({ type: "paragraph", text: body.join("\n") });
  }
  return blocks;
}

function parseList(lines: string[], start: number): [Block, number] {
  const first = LIST_ITEM.exec(lines[start]!)!;
  const baseIndent = first[1]!.length;
  const ordered = /\d/.test(first[2]!);
  const items: { task: boolean | null; blocks: Block[] }[] = [];
  let i = start;
  while (i < lines.length) {
    const match = LIST_ITEM.exec(lines[i]!);
    if (!match || match[1]!.length !== baseIndent || /\d/.test(match[2]!) !== ordered) break;
    let text = match[3]!;
    let task: boolean | null = null;
    const box = /^\[([ xX])\]\s+(.*)$/.exec(text);
    if (box) {
      task = box[1] !== " ";
      text = box[2]!;
    }
    const body = [text];
    i++;
    // Continuation: indented deeper than the marker (nested lists, wrapped text).
    while (i < lines.length) {
      const next = lines[i]!;
      if (next.trim() === "") {
        const after = lines[i + 1];
        if (after !== undefined && after.trim() !== "" && indentOf(after) > baseIndent) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      if (indentOf(next) <= baseIndent) break;
      body.push(next.slice(Math.min(indentOf(next), baseIndent + 2)));
      i++;
    }
    items.push({ task, blocks: parseBlocks(dedent(body)) });
    if (i < lines.length && lines[i]!.trim() === "") {
      const after = lines[i + 1];
      const again = after === undefined ? null : LIST_ITEM.exec(after);
      if (again && again[1]!.length === baseIndent) i++;
    }
  }
  const start1 = ordered ? Number.parseInt(first[2]!, 10) : 1;
  return [{ type: "list", ordered, start: start1, items }, i];
}

function dedent(lines: string[]): string {
  const [head, ...rest] = lines;
  const indents = rest.filter((l) => l.trim() !== "").map(indentOf);
  const cut = indents.length ? Math.min(...indents) : 0;
  return [head ?? "", ...rest.map((l) => l.slice(Math.min(cut, indentOf(l))))].join("\n");
}

/** A link target we are willing to render: http(s), mailto, or a path on this site. */
export function safeHref(href: string): string | null {
  const url = href.trim();
  if (/^(https?:|mailto:)/i.test(url)) return url;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  if (url.startsWith("#")) return url;
  return null;
}

const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?![\s*<>])([^*]*?[^\s*<>])\*(?![\w*])|(?<![\w])_([^_\s][\s\S]*?)_(?![\w])|\[([^\]]+)\]\(([^)\s]+)\)|<(https?:\/\/[^>\s]+)>|\\([\\`*_[\]()#+\-.!|>~])/;

export function renderInline(text: string, keyPrefix = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let n = 0;
  while (rest.length > 0) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index > 0) out.push(rest.slice(0, match.index));
    const key = `${keyPrefix}-${n++}`;
    const [whole, , code, strong, strong2, em, em2, linkText, href, auto, escaped] = match;
    if (code !== undefined) out.push(<code key={key}>{code.trim()}</code>);
    else if (strong !== undefined || strong2 !== undefined)
      out.push(<strong key={key}>{renderInline((strong ?? strong2)!, key)}</strong>);
    else if (em !== undefined || em2 !== undefined) out.push(<em key={key}>{renderInline((em ?? em2)!, key)}</em>);
    else if (linkText !== undefined) {
      const safe = safeHref(href!);
      out.push(
        safe ? (
          <a key={key} href={safe} rel="noopener noreferrer" target={safe.startsWith("http") ? "_blank" : undefined}>
            {renderInline(linkText, key)}
          </a>
        ) : (
          <Fragment key={key}>{whole}</Fragment>
        ),
      );
    } else if (auto !== undefined)
      out.push(
        <a key={key} href={auto} rel="noopener noreferrer" target="_blank">
          {auto}
        </a>,
      );
    else if (escaped !== undefined) out.push(escaped);
    rest = rest.slice(match.index + whole.length);
  }
  return out;
}

function withBreaks(text: string, key: string): ReactNode[] {
  return text.split("\n").flatMap((line, i) => (i === 0 ? renderInline(line, `${key}.${i}`) : [<br key={`${key}br${i}`} />, ...renderInline(line, `${key}.${i}`)]));
}

function renderBlock(block: Block, key: string, headingOffset: number): ReactNode {
  switch (block.type) {
    case "heading": {
      const level = Math.min(6, block.level + headingOffset);
      const Tag = `h${level}` as "h1";
      return <Tag key={key}>{renderInline(block.text, key)}</Tag>;
    }
    case "paragraph":
      return <p key={key}>{withBreaks(block.text, key)}</p>;
    case "code":
      return (
        <pre key={key} className="md-code">
          <code>{block.text}</code>
        </pre>
      );
    case "rule":
      return <hr key={key} />;
    case "quote":
      return <blockquote key={key}>{block.blocks.map((b, i) => renderBlock(b, `${key}.${i}`, headingOffset))}</blockquote>;
    case "table":
      return (
        <div key={key} className="md-table">
          <table className="data">
            <thead>
              <tr>
                {block.head.map((cell, i) => (
                  <th key={i}>{renderInline(cell, `${key}h${i}`)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {block.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c}>{renderInline(cell, `${key}r${r}c${c}`)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case "list": {
      const items = block.items.map((item, i) => {
        const [firstBlock, ...more] = item.blocks;
        // A one-paragraph item renders inline (no <p> inside the <li>).
        const head =
          firstBlock?.type === "paragraph" ? withBreaks(firstBlock.text, `${key}.${i}`) : firstBlock ? [renderBlock(firstBlock, `${key}.${i}.0`, headingOffset)] : [];
        return (
          <li key={i} className={item.task === null ? undefined : "md-task"}>
            {item.task !== null && <input type="checkbox" checked={item.task} disabled aria-label={item.task ? "done" : "not done"} />}
            {head}
            {more.map((b, j) => renderBlock(b, `${key}.${i}.${j + 1}`, headingOffset))}
          </li>
        );
      });
      return block.ordered ? (
        <ol key={key} start={block.start === 1 ? undefined : block.start}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
  }
}

/** Markdown as React elements. `headingOffset` shifts heading levels (e.g. 1: # → h2). */
export function Markdown({ text, headingOffset = 0, className = "markdown" }: { text: string; headingOffset?: number; className?: string }) {
  return <div className={className}>{parseBlocks(text).map((b, i) => renderBlock(b, `b${i}`, headingOffset))}</div>;
}
