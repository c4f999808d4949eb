// The decisions each role can make, with their keys.
import type { Decision } from "./bindings/Decision";
import type { DiagnosisDecision } from "./bindings/DiagnosisDecision";
import type { QualityDecision } from "./bindings/QualityDecision";
import type { Role } from "./bindings/Role";

export interface Choice {
  key: string;
  label: string;
  decision: Decision;
  /** A note is required before this decision is saved. */
  needsNote: boolean;
  tone: "good" | "bad" | "neutral";
}

const diagnosis = (
  key: string,
  label: string,
  decision: DiagnosisDecision,
  needsNote: boolean,
  tone: Choice["tone"],
): Choice => ({ key, label, decision: { kind: "diagnosis", decision }, needsNote, tone });

const quality = (key: string, label: string, decision: QualityDecision, tone: Choice["tone"]): Choice => ({
  key,
  label,
  decision: { kind: "quality", decision },
  needsNote: false,
  tone,
});

export const CHOICES: Record<Exclude<Role, "coder">, Choice[]> = {
  doctor: [
    diagnosis("1", "Agree", "agree", false, "good"),
    diagnosis("2", "Disagree", "disagree", false, "bad"),
    diagnosis("3", "Amend", "amend", true, "neutral"),
    diagnosis("4", "Escalate", "escalate", true, "neutral"),
  ],
  technician: [
    quality("1", "Accept", "accept", "good"),
    quality("2", "Blurry", "blurry", "bad"),
    quality("3", "Under-exposed", "under_exposed", "bad"),
    quality("4", "Over-exposed", "over_exposed", "bad"),
    quality("5", "Wrong region", "wrong_region", "bad"),
    quality("6", "Retake", "retake", "bad"),
  ],
};

export function describe(decision: Decision): string {
  switch (decision.kind) {
    case "diagnosis":
    case "quality":
      return decision.decision.replace("_", "-");
    case "coding": {
      const { accepted, rejected } = decision.decision;
      return `codes: ${accepted.join(", ") || "none"}${rejected.length ? ` (rejected ${rejected.join(", ")})` : ""}`;
    }
  }
}

export const ROLE_LABELS: Record<Role, string> = {
  doctor: "Doctor",
  technician: "Technician",
  coder: "Coder",
};
