// The UI's only door to the engine. Components import from here, never from Tauri.
import type { AssessStatus } from "../bindings/AssessStatus";
import type { AuditFilter } from "../bindings/AuditFilter";
import type { AuditView } from "../bindings/AuditView";
import type { CodeConflict } from "../bindings/CodeConflict";
import type { CodeHit } from "../bindings/CodeHit";
import type { DecideRequest } from "../bindings/DecideRequest";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { ItemView } from "../bindings/ItemView";
import type { LockReason } from "../bindings/LockReason";
import type { ModelsView } from "../bindings/ModelsView";
import type { PlatformForm } from "../bindings/PlatformForm";
import type { PullOutcome } from "../bindings/PullOutcome";
import type { Role } from "../bindings/Role";
import type { Sealing } from "../bindings/Sealing";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { SourceForm } from "../bindings/SourceForm";
import type { SourcesView } from "../bindings/SourcesView";
import type { SyncReport } from "../bindings/SyncReport";
import type { SyncStatus } from "../bindings/SyncStatus";
import type { Unlocked } from "../bindings/Unlocked";
import type { Verdict } from "../bindings/Verdict";
import type { Worklist } from "../bindings/Worklist";
import type { WorklistQuery } from "../bindings/WorklistQuery";
import { tauriBackend } from "./tauri";

export interface Backend {
  session(): Promise<SessionInfo>;
  /** How far the first open has come in encrypting an earlier version's data, or null. */
  sealing(): Promise<Sealing | null>;
  worklist(query: WorklistQuery): Promise<Worklist>;
  openItem(id: number, role: Role): Promise<ItemView>;
  decide(request: DecideRequest): Promise<Verdict>;
  /** The bytes of one frame, in the engine's frame wire format. */
  frame(id: number, index: number): Promise<ArrayBuffer>;
  /** A diagnosis model's heat map for an item, as PNG bytes. */
  heatmap(id: number, model: string): Promise<Blob>;
  /** Every installed model, its sha256 check and the device it runs on. */
  models(): Promise<ModelsView>;
  /** The pre-assessment queue's counts. */
  assessStatus(): Promise<AssessStatus>;
  /** ICD-10-CM codes by code or words, offline, best first. */
  icdSearch(query: string): Promise<CodeHit[]>;
  /** The Excludes1 notes that bar two of these codes from going together. */
  icdConflicts(codes: string[]): Promise<CodeConflict[]>;
  sources(): Promise<SourcesView>;
  /** Adds or replaces a source; the secret goes to the OS keyring. */
  saveSource(form: SourceForm): Promise<SourcesView>;
  /** Removes a source and its keyring secret; what it pulled stays. */
  removeSource(name: string): Promise<SourcesView>;
  /** Starts a pull in the background; its end arrives through onPullFinished. */
  pullSource(name: string): Promise<null>;
  /** Calls `handler` with the source's name whenever a pull begins. */
  onPullStarted(handler: (source: string) => void): Promise<() => void>;
  /** Calls `handler` whenever a pull ends (started here or by the periodic listing). */
  onPullFinished(handler: (outcome: PullOutcome) => void): Promise<() => void>;
  /** Writes a first-run workstation's platform settings; the app then starts again. */
  connectPlatform(form: PlatformForm): Promise<null>;
  /** Opens the realm's sign-in page in the system browser; resolves once back. */
  signIn(): Promise<SessionInfo>;
  /** Ends the realm's session and wipes the tokens; the outbox is kept. */
  signOut(): Promise<SessionInfo>;
  /** The session and the outbox, for the status bar. */
  syncStatus(): Promise<SyncStatus>;
  syncNow(): Promise<SyncReport>;
  /** Calls `handler` whenever a sync ran (in the background or asked for). */
  onSyncFinished(handler: (report: SyncReport) => void): Promise<() => void>;
  /** The audit trail and its chain's check (the realm's auditors only). */
  audit(filter: AuditFilter): Promise<AuditView>;
  /** Deletes this workstation's key and data (refused while decisions wait to sync); the app starts again. */
  forgetWorkstation(): Promise<null>;
  /** Records that the window locked (it hides everything itself). */
  lockScreen(reason: LockReason): Promise<null>;
  /** Signs in again (the realm asks for the password) and says who unlocked. */
  unlockScreen(): Promise<Unlocked>;
  /** Calls `handler` when the desktop's screen saver starts or the machine suspends. */
  onLockRequested(handler: () => void): Promise<() => void>;
  /** Calls `handler` with a sentence when the app hit an internal error (it is logged). */
  onInternalError(handler: (message: string) => void): Promise<() => void>;
}

/** An engine error as the UI shows it: a stable code and a sentence. */
export class BackendError extends Error {
  readonly code: ErrorCode;
  constructor(report: ErrorReport) {
    super(report.message);
    this.code = report.code;
  }
}

export function asBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    return new BackendError(e as ErrorReport);
  }
  return new BackendError({ code: "internal", message: String(e) });
}

export const backend: Backend = tauriBackend;
