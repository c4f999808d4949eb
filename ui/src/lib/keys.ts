import type { Role } from "./bindings/Role";

/** True while the reviewer types into a field: single-key shortcuts stand aside. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return !!target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * One key binding of the review screen. The key handler and the shortcut sheet both read
 * these tables, so the sheet never promises a key the screen does not keep.
 */
export interface Shortcut<A extends string> {
  action: A;
  /** The `KeyboardEvent.key` values that do it. */
  keys: readonly string[];
  /** The keys as the sheet prints them. */
  shown: readonly string[];
  what: string;
  /** The roles it works for. */
  roles: readonly Role[];
}

const EVERYONE: readonly Role[] = ["doctor", "technician", "coder"];
const IMAGING: readonly Role[] = ["doctor", "technician"];
const CODERS: readonly Role[] = ["coder"];

export type ReviewAction = "next" | "previous" | "back" | "note" | "autoAdvance";

export const REVIEW_KEYS: readonly Shortcut<ReviewAction>[] = [
  { action: "next", keys: ["ArrowRight", "j"], shown: ["→", "J"], what: "Next item", roles: EVERYONE },
  { action: "previous", keys: ["ArrowLeft", "k"], shown: ["←", "K"], what: "Previous item", roles: EVERYONE },
  { action: "back", keys: ["Escape"], shown: ["Esc"], what: "Back to the worklist", roles: EVERYONE },
  { action: "note", keys: ["n"], shown: ["N"], what: "Write a note", roles: EVERYONE },
  { action: "autoAdvance", keys: ["a"], shown: ["A"], what: "Auto-advance on or off", roles: EVERYONE },
];

export type ViewerAction = "frameNext" | "framePrevious" | "zoomIn" | "zoomOut" | "fit" | "invert" | "heat";

export const VIEWER_KEYS: readonly Shortcut<ViewerAction>[] = [
  {
    action: "framePrevious",
    keys: ["ArrowUp", "PageUp"],
    shown: ["↑"],
    what: "Previous frame or page (also the mouse wheel)",
    roles: IMAGING,
  },
  { action: "frameNext", keys: ["ArrowDown", "PageDown"], shown: ["↓"], what: "Next frame or page", roles: IMAGING },
  { action: "zoomIn", keys: ["+", "="], shown: ["+"], what: "Zoom in (also Ctrl + wheel)", roles: EVERYONE },
  { action: "zoomOut", keys: ["-"], shown: ["−"], what: "Zoom out", roles: EVERYONE },
  { action: "fit", keys: ["0"], shown: ["0"], what: "Fit to the window", roles: EVERYONE },
  { action: "invert", keys: ["i"], shown: ["I"], what: "Invert", roles: EVERYONE },
  { action: "heat", keys: ["h"], shown: ["H"], what: "AI overlay (heat map, boxes) on or off", roles: ["doctor"] },
];

export type CodingAction =
  | "codeNext"
  | "codePrevious"
  | "toggle"
  | "toggleNumber"
  | "reject"
  | "edit"
  | "add"
  | "pageNext"
  | "pagePrevious"
  | "submit";

export const CODING_KEYS: readonly Shortcut<CodingAction>[] = [
  { action: "codePrevious", keys: ["ArrowUp"], shown: ["↑"], what: "Previous code", roles: CODERS },
  { action: "codeNext", keys: ["ArrowDown"], shown: ["↓"], what: "Next code: its evidence shows on the page", roles: CODERS },
  { action: "toggle", keys: [" "], shown: ["Space"], what: "Accept or reject the chosen code", roles: CODERS },
  {
    action: "toggleNumber",
    keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
    shown: ["1", "…", "9"],
    what: "Accept or reject code 1 to 9",
    roles: CODERS,
  },
  { action: "reject", keys: ["x", "Delete"], shown: ["X", "Del"], what: "Reject the chosen code", roles: CODERS },
  { action: "edit", keys: ["e"], shown: ["E"], what: "Replace the chosen code with another (search)", roles: CODERS },
  { action: "add", keys: ["/"], shown: ["/"], what: "Add a code: search by code or words, offline", roles: CODERS },
  { action: "pagePrevious", keys: ["PageUp"], shown: ["PgUp"], what: "Previous page", roles: CODERS },
  { action: "pageNext", keys: ["PageDown"], shown: ["PgDn"], what: "Next page", roles: CODERS },
  { action: "submit", keys: ["Enter"], shown: ["Enter"], what: "Save the codes", roles: CODERS },
];

/** The action a key does for a role, from one of the tables above. */
export function actionFor<A extends string>(table: readonly Shortcut<A>[], key: string, role: Role): A | null {
  return table.find((s) => s.roles.includes(role) && s.keys.includes(key))?.action ?? null;
}

/** A table's rows for a role, as the shortcut sheet lists them. */
export function sheetRows<A extends string>(table: readonly Shortcut<A>[], role: Role) {
  return table.filter((s) => s.roles.includes(role)).map((s) => ({ keys: s.shown, what: s.what }));
}
