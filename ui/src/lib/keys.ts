/** True while the reviewer types into a field: single-key shortcuts stand aside. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return !!target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
