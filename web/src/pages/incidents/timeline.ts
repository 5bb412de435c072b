// The war room's timeline: what was loaded (GET /timeline) merged with what the stream
// pushed, each entry once (by its id), in id order — the server's order, which keeps a
// merged incident's entries interleaved where they happened.

export interface Entry {
  id: number;
  incident_id: number;
  at: string;
  kind: string;
  author: string;
  message: string;
  /** Only entries loaded from /timeline carry it; streamed ones do not. */
  detail?: Record<string, unknown>;
  /** The incident's status when the entry was streamed. */
  status?: string;
}

/** `current` plus `incoming`, deduplicated by id, oldest first. An entry seen twice keeps
 * the richer copy (one with `detail`). Returns `current` itself when nothing is new. */
export function mergeTimeline(current: readonly Entry[], incoming: readonly Entry[]): Entry[] {
  if (incoming.length === 0) return current as Entry[];
  const byId = new Map<number, Entry>();
  for (const entry of current) byId.set(entry.id, entry);
  let changed = false;
  for (const entry of incoming) {
    const known = byId.get(entry.id);
    if (!known) {
      byId.set(entry.id, entry);
      changed = true;
    } else if (!known.detail && entry.detail) {
      byId.set(entry.id, { ...known, ...entry });
      changed = true;
    }
  }
  if (!changed) return current as Entry[];
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** A streamed `timeline` event's data as an Entry, or null when it is not one. */
export function entryFromEvent(data: string): Entry | null {
  try {
    const raw = JSON.parse(data) as Partial<Entry> & { id?: unknown };
    if (typeof raw.id !== "number" || typeof raw.incident_id !== "number") return null;
    return {
      id: raw.id,
      incident_id: raw.incident_id,
      at: String(raw.at ?? ""),
      kind: String(raw.kind ?? ""),
      author: String(raw.author ?? ""),
      message: String(raw.message ?? ""),
      ...(typeof raw.status === "string" ? { status: raw.status } : {}),
    };
  } catch {
    return null;
  }
}

export function newestId(entries: readonly Entry[]): number | undefined {
  return entries.length ? entries[entries.length - 1]!.id : undefined;
}
