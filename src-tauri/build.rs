// The app's IPC commands, from the one list in ipc_surface.rs, declared so that
// capabilities/default.json must grant each one by name: a command not listed there
// cannot be invoked from the webview.
include!("ipc_surface.rs");

macro_rules! command_names {
    (
        commands { $($module:ident :: $command:ident ($($arg:ident : $arg_ty:ty),*) -> $reply:ty),* $(,)? }
        events { $($events:tt)* }
    ) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = ipc_surface!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/ipc_surface.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
