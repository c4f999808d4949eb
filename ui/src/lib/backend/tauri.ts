// The Backend over Tauri IPC and the sr:// frame scheme. The only module that imports Tauri.
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { PullOutcome } from "../bindings/PullOutcome";
import type { SyncReport } from "../bindings/SyncReport";
import type { Backend } from "./index";
import { asBackendError, BackendError } from "./index";

/** sr://localhost/ on Linux and macOS, http://sr.localhost/ on Windows. */
const frameBase = convertFileSrc("", "sr");

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asBackendError(e);
  }
}

export const tauriBackend: Backend = {
  session: () => call("session"),
  sealing: () => call("sealing"),
  worklist: (query) => call("worklist", { query }),
  openItem: (id, role) => call("open_item", { id, role }),
  decide: (request) => call("decide", { request }),
  models: () => call("models"),
  assessStatus: () => call("assess_status"),
  icdSearch: (query) => call("icd_search", { query }),
  icdConflicts: (codes) => call("icd_conflicts", { codes }),
  sources: () => call("sources"),
  saveSource: (form) => call("save_source", { form }),
  removeSource: (name) => call("remove_source", { name }),
  pullSource: (name) => call("pull_source", { name }),
  onPullStarted: (handler) => listen<string>("pull-started", (event) => handler(event.payload)),
  onPullFinished: (handler) => listen<PullOutcome>("pull-finished", (event) => handler(event.payload)),
  connectPlatform: (form) => call("connect_platform", { form }),
  signIn: () => call("sign_in"),
  signOut: () => call("sign_out"),
  syncStatus: () => call("sync_status"),
  syncNow: () => call("sync_now"),
  onSyncFinished: (handler) => listen<SyncReport>("sync-finished", (event) => handler(event.payload)),
  forgetWorkstation: () => call("forget_workstation"),
  audit: (filter) => call("audit", { filter }),
  lockScreen: (reason) => call("lock_screen", { reason }),
  unlockScreen: () => call("unlock_screen"),
  onLockRequested: (handler) => listen("lock-requested", () => handler()),
  onInternalError: (handler) => listen<string>("internal-error", (event) => handler(event.payload)),
  async heatmap(id, model) {
    const response = await fetch(`${frameBase}heatmap/${id}/${encodeURIComponent(model)}`);
    if (!response.ok) throw new BackendError({ code: "not_found", message: await response.text() });
    return response.blob();
  },
  async frame(id, index) {
    const response = await fetch(`${frameBase}frame/${id}/${index}`);
    if (!response.ok) {
      const text = await response.text();
      try {
        throw new BackendError(JSON.parse(text));
      } catch (e) {
        throw e instanceof BackendError ? e : new BackendError({ code: "decode", message: text });
      }
    }
    return response.arrayBuffer();
  },
};
