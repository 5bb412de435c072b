// A stable colour per service name (the same service has the same colour on every page).
const COLOURS = 10;

export function serviceColorIndex(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return ((hash >>> 0) % COLOURS) + 1;
}

/** A CSS colour (a theme variable from traces.css). */
export function serviceColor(name: string): string {
  return `var(--svc-${serviceColorIndex(name)})`;
}

/** Colours for the services shown together (a trace's): each keeps its own colour unless
 * another service already took it, then the next free one, so no two share a colour while
 * there are colours left. */
export function serviceColors(names: Iterable<string>): Map<string, string> {
  const taken = new Set<number>();
  const colours = new Map<string, string>();
  for (const name of [...new Set(names)].sort()) {
    let index = serviceColorIndex(name);
    for (let tries = 0; tries < COLOURS && taken.has(index); tries++) index = (index % COLOURS) + 1;
    taken.add(index);
    colours.set(name, `var(--svc-${index})`);
  }
  return colours;
}
