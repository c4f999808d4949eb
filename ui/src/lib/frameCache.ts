// Decoded frames kept ahead of the reviewer: the next items are fetched and parsed in
// the background so that moving on paints at once.
import { backend } from "./backend";
import { parseFrame, type Frame } from "./frames";

const LIMIT = 8;
const entries = new Map<string, Promise<Frame>>();

export function loadFrame(id: number, index: number): Promise<Frame> {
  const key = `${id}/${index}`;
  let entry = entries.get(key);
  if (entry) {
    entries.delete(key);
  } else {
    entry = backend.frame(id, index).then(parseFrame);
    entry.catch(() => entries.delete(key));
  }
  entries.set(key, entry);
  while (entries.size > LIMIT) {
    const oldest = entries.keys().next().value;
    if (oldest === undefined) break;
    entries.delete(oldest);
  }
  return entry;
}

/** Starts loading without waiting; errors show when the item is opened. */
export function prefetch(id: number, index = 0): void {
  loadFrame(id, index).catch(() => undefined);
}
