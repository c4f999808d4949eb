// Keypress-to-paint timings, kept in the page for the benchmark harness to read over
// WebDriver (`window.__secondread`). Nothing leaves the machine.

interface Metrics {
  navigationStart: number;
  paints: number[];
}

declare global {
  interface Window {
    __secondread?: Metrics;
  }
}

function metrics(): Metrics {
  window.__secondread ??= { navigationStart: 0, paints: [] };
  return window.__secondread;
}

/** The reviewer asked for another item. */
export function recordNavigation(): void {
  metrics().navigationStart = performance.now();
}

/** An item's first frame is on screen. */
export function recordPaint(): void {
  const m = metrics();
  if (m.navigationStart > 0) {
    m.paints.push(performance.now() - m.navigationStart);
    m.navigationStart = 0;
  }
}
