// One polling helper for every screen that follows something slow (the queue, a pull,
// the outbox, an item's assessment), so each cancels, re-arms and stops the same way.

export interface Poll {
  /** Runs the tick after `ms`, replacing one already waiting. */
  later(ms?: number): void;
  /** Runs the tick now, replacing one waiting; resolves when it has run. */
  now(): Promise<void>;
  /** Drops a waiting tick; `later` or `now` start again. */
  cancel(): void;
  /** Drops a waiting tick for good: the screen is gone. */
  stop(): void;
}

/**
 * Asks `tick` again `ms` after each run for as long as it answers true, so a screen polls
 * only while there is something to follow. A tick shows its own failures; one that
 * throws anyway ends the polling until the screen asks again.
 */
export function poll(tick: () => Promise<boolean> | boolean, ms: number): Poll {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function run() {
    clearTimeout(timer);
    timer = undefined;
    let again: boolean;
    try {
      again = await tick();
    } catch {
      again = false;
    }
    if (again) later();
  }

  function later(wait = ms) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, wait);
  }

  return {
    later,
    now: () => (stopped ? Promise.resolve() : run()),
    cancel: () => clearTimeout(timer),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
