// Generated from src-tauri/ipc_surface.rs by src-tauri/ipc.rs. Do not edit.
import type { AssessStatus } from "./AssessStatus";
import type { AuditFilter } from "./AuditFilter";
import type { AuditView } from "./AuditView";
import type { CodeConflict } from "./CodeConflict";
import type { CodeHit } from "./CodeHit";
import type { DecideRequest } from "./DecideRequest";
import type { ItemView } from "./ItemView";
import type { LockReason } from "./LockReason";
import type { ModelsView } from "./ModelsView";
import type { PlatformForm } from "./PlatformForm";
import type { PullOutcome } from "./PullOutcome";
import type { Role } from "./Role";
import type { Sealing } from "./Sealing";
import type { SessionInfo } from "./SessionInfo";
import type { SourceForm } from "./SourceForm";
import type { SourcesView } from "./SourcesView";
import type { SyncReport } from "./SyncReport";
import type { SyncStatus } from "./SyncStatus";
import type { Unlocked } from "./Unlocked";
import type { Verdict } from "./Verdict";
import type { Worklist } from "./Worklist";
import type { WorklistQuery } from "./WorklistQuery";

/** Each command the window may invoke: its arguments and its reply. */
export type Commands = {
  session: { args: {}; reply: SessionInfo };
  sealing: { args: {}; reply: Sealing | null };
  worklist: { args: { query: WorklistQuery }; reply: Worklist };
  open_item: { args: { id: number; role: Role }; reply: ItemView };
  decide: { args: { request: DecideRequest }; reply: Verdict };
  sources: { args: {}; reply: SourcesView };
  save_source: { args: { form: SourceForm }; reply: SourcesView };
  remove_source: { args: { name: string }; reply: SourcesView };
  pull_source: { args: { name: string }; reply: null };
  models: { args: {}; reply: ModelsView };
  assess_status: { args: {}; reply: AssessStatus };
  icd_search: { args: { query: string }; reply: Array<CodeHit> };
  icd_conflicts: { args: { codes: Array<string> }; reply: Array<CodeConflict> };
  audit: { args: { filter: AuditFilter }; reply: AuditView };
  connect_platform: { args: { form: PlatformForm }; reply: null };
  sign_in: { args: {}; reply: SessionInfo };
  sign_out: { args: {}; reply: SessionInfo };
  sync_status: { args: {}; reply: SyncStatus };
  sync_now: { args: {}; reply: SyncReport };
  forget_workstation: { args: {}; reply: null };
  lock_screen: { args: { reason: LockReason }; reply: null };
  unlock_screen: { args: {}; reply: Unlocked };
};

/** Each event the window hears, with its payload. */
export type Events = {
  "pull-started": string;
  "pull-finished": PullOutcome;
  "sync-finished": SyncReport;
  "lock-requested": null;
  "internal-error": string;
};
