/// The app's IPC commands, declared so that capabilities/default.json must grant each
/// one by name: a command not listed there cannot be invoked from the webview.
const COMMANDS: &[&str] = &[
    "session",
    "sealing",
    "worklist",
    "open_item",
    "decide",
    "verdicts",
    "sources",
    "save_source",
    "remove_source",
    "pull_source",
    "models",
    "assess_status",
    "icd_search",
    "icd_conflicts",
    "connect_platform",
    "sign_in",
    "sign_out",
    "sync_status",
    "sync_now",
    "audit",
    "forget_workstation",
    "lock_screen",
    "unlock_screen",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
