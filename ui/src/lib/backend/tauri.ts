// The Backend over Tauri IPC and the sr:// frame scheme. The only module that imports Tauri.
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Commands, Events } from "../bindings/ipc";
import type { Backend } from "./index";
import { asBackendError } from "./index";

/** sr://localhost/ on Linux and macOS, http://sr.localhost/ on Windows. */
const frameBase = convertFileSrc("", "sr");

/** Invokes a command of the generated list, typed by its name. */
async function call<K extends keyof Commands>(
  command: K,
  ...[args]: keyof Commands[K]["args"] extends never ? [] : [Commands[K]["args"]]
): Promise<Commands[K]["reply"]> {
  try {
    return await invoke<Commands[K]["reply"]>(command, args);
  } catch (e) {
    throw asBackendError(e);
  }
}

/** A resource of the sr:// scheme; a refusal arrives as an ErrorReport in JSON. */
async function fetchFrom(path: string): Promise<Response> {
  const response = await fetch(`${frameBase}${path}`);
  if (response.ok) return response;
  const text = await response.text();
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    report = { code: "internal", message: `the frame scheme answered ${response.status}: ${text}` };
  }
  throw asBackendError(report);
}

/** Listens to an event of the generated list, typed by its name. */
function on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void) {
  return listen<Events[K]>(event, (e) => handler(e.payload));
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
  onPullStarted: (handler) => on("pull-started", handler),
  onPullFinished: (handler) => on("pull-finished", handler),
  connectPlatform: (form) => call("connect_platform", { form }),
  signIn: () => call("sign_in"),
  signOut: () => call("sign_out"),
  syncStatus: () => call("sync_status"),
  syncNow: () => call("sync_now"),
  onSyncFinished: (handler) => on("sync-finished", handler),
  forgetWorkstation: () => call("forget_workstation"),
  audit: (filter) => call("audit", { filter }),
  lockScreen: (reason) => call("lock_screen", { reason }),
  unlockScreen: () => call("unlock_screen"),
  onLockRequested: (handler) => on("lock-requested", () => handler()),
  onInternalError: (handler) => on("internal-error", handler),
  async heatmap(id, model) {
    return (await fetchFrom(`heatmap/${id}/${encodeURIComponent(model)}`)).blob();
  },
  async frame(id, index) {
    return (await fetchFrom(`frame/${id}/${index}`)).arrayBuffer();
  },
};
