// The coder's list of codes for one document, and the verdict it becomes.
import type { CodingDecision } from "./bindings/CodingDecision";
import type { Evidence } from "./bindings/Evidence";
import type { Status } from "./bindings/Status";
import type { SuggestedCode } from "./bindings/SuggestedCode";
import type { Suggestion } from "./bindings/Suggestion";

export interface CodeRow {
  code: string;
  title: string;
  /** Unknown for the platform's codes, which come without the table's flag. */
  billable: boolean | null;
  /** Suggested here, by the platform's first read, or typed in by the coder. */
  source: "local" | "platform" | "added";
  status: Status;
  confidence: number | null;
  evidence: Evidence | null;
  excludes1: string[];
  accepted: boolean;
  /** The suggested code this one replaced, when the coder edited a suggestion. */
  replaces: string | null;
  /** The title or inclusion term the text meant in other words (a sentence encoder
   * judged them close), for the coder to check; null when the words matched. */
  meant: string | null;
}

export const STATUS_LABELS: Record<Status, string> = {
  present: "present",
  negated: "negated",
  uncertain: "uncertain",
  history: "history of",
  family: "family history",
};

/**
 * One row per code: the local suggestions in reading order (a code found both present
 * and negated shows once, as present), then the platform's codes not among them. Only
 * present findings start accepted; the coder's decision, if any, overrides that for the
 * codes it names and brings back the codes they added.
 */
export function codeRows(
  suggestions: Suggestion[],
  platform: SuggestedCode[],
  previous: CodingDecision | null,
): CodeRow[] {
  const rows: CodeRow[] = [];
  const byCode = new Map<string, CodeRow>();
  const present = new Set(suggestions.filter((s) => s.status === "present").map((s) => s.code));
  for (const s of suggestions) {
    if (byCode.has(s.code) || (s.status !== "present" && present.has(s.code))) continue;
    const row: CodeRow = {
      code: s.code,
      title: s.title,
      billable: s.billable,
      source: "local",
      status: s.status,
      confidence: s.confidence,
      evidence: s.evidence,
      excludes1: s.excludes1,
      accepted: s.status === "present",
      replaces: null,
      meant: s.found === "meaning" ? s.matched : null,
    };
    byCode.set(s.code, row);
    rows.push(row);
  }
  for (const p of platform) {
    if (byCode.has(p.code)) continue;
    const row = givenRow(p.code, p.title, null, "platform");
    byCode.set(p.code, row);
    rows.push(row);
  }
  if (previous) {
    // A code the decision does not name (suggested since) keeps its own standing.
    for (const row of rows) {
      if (previous.accepted.includes(row.code)) row.accepted = true;
      else if (previous.rejected.includes(row.code)) row.accepted = false;
    }
    for (const code of previous.accepted) {
      if (!byCode.has(code)) rows.push(givenRow(code, "", null, "added"));
    }
  }
  return rows;
}

/** An accepted code that comes without evidence: the platform's, or the coder's own. */
export function givenRow(
  code: string,
  title: string,
  billable: boolean | null,
  source: "platform" | "added",
): CodeRow {
  return {
    code,
    title,
    billable,
    source,
    status: "present",
    confidence: null,
    evidence: null,
    excludes1: [],
    accepted: true,
    replaces: null,
    meant: null,
  };
}

/** The verdict: every accepted code once; rejected: the rest, and the codes edited away. */
export function decisionOf(rows: CodeRow[]): CodingDecision {
  const accepted = [...new Set(rows.filter((r) => r.accepted).map((r) => r.code))];
  const rejected = new Set(rows.filter((r) => !r.accepted).map((r) => r.code));
  for (const row of rows) if (row.replaces) rejected.add(row.replaces);
  return { accepted, rejected: [...rejected].filter((c) => !accepted.includes(c)) };
}
