//! The IPC surface of `ipc_surface.rs` turned into code: the handler the window invokes,
//! and one typed `emit` per event, so an event's name and payload are written nowhere
//! else on this side.

use sr_engine::{PullOutcome, SyncReport};
use tauri::{AppHandle, Emitter, Wry};

/// An event the UI listens to, with the one payload it carries.
pub trait Event {
    const NAME: &'static str;
    type Payload: serde::Serialize;
}

macro_rules! events {
    (
        commands { $($commands:tt)* }
        events { $($event:ident = $name:literal : $payload:ty),* $(,)? }
    ) => {
        $(
            pub struct $event;
            impl Event for $event {
                const NAME: &'static str = $name;
                type Payload = $payload;
            }
        )*
    };
}
ipc_surface!(events);

/// Sends an event to the window. A window already closing is not an error to report.
pub fn emit<E: Event>(app: &AppHandle, payload: &E::Payload) {
    if let Err(e) = app.emit(E::NAME, payload) {
        tracing::debug!(event = E::NAME, "event not delivered: {e}");
    }
}

macro_rules! handler {
    (
        commands { $($module:ident :: $command:ident ($($arg:ident : $arg_ty:ty),*) -> $reply:ty),* $(,)? }
        events { $($events:tt)* }
    ) => {
        tauri::generate_handler![$(crate::$module::$command),*]
    };
}

/// Every command of the list, for `Builder::invoke_handler`.
pub fn handler() -> impl Fn(tauri::ipc::Invoke<Wry>) -> bool + Send + Sync + 'static {
    ipc_surface!(handler)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use sr_engine::catalog::{AuditFilter, Role, Sealing, Verdict, Worklist, WorklistQuery};
    use sr_engine::{
        AssessStatus, AuditView, CodeConflict, CodeHit, DecideRequest, ItemView, LockReason,
        ModelsView, PlatformForm, SessionInfo, SourceForm, SourcesView, SyncStatus, Unlocked,
    };
    use ts_rs::{Config, TS, TypeVisitor};

    use super::*;

    /// The named types a reply or argument type refers to at its top level: each is
    /// imported from its own generated file.
    #[derive(Default)]
    struct Imports(BTreeSet<String>);

    impl Imports {
        fn add<T: TS + 'static + ?Sized>(&mut self, cfg: &Config) {
            struct Walk<'a>(&'a mut BTreeSet<String>, &'a Config);
            impl TypeVisitor for Walk<'_> {
                fn visit<T: TS + 'static + ?Sized>(&mut self) {
                    if T::output_path().is_some() {
                        self.0.insert(T::ident(self.1));
                    } else {
                        // A wrapper (`Option<T>`, `Vec<T>`): its type arguments.
                        T::visit_generics(self);
                        T::visit_dependencies(self);
                    }
                }
            }
            Walk(&mut self.0, cfg).visit::<T>();
        }
    }

    /// Tauri hands a Rust argument `snake_case` to the UI as `camelCase`.
    fn camel(name: &str) -> String {
        let mut words = name.split('_');
        let first = words.next().unwrap_or_default().to_owned();
        words.fold(first, |mut out, word| {
            let mut chars = word.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(chars.as_str());
            out
        })
    }

    struct Surface {
        commands: Vec<String>,
        command_types: Vec<String>,
        event_types: Vec<String>,
        imports: Imports,
    }

    macro_rules! surface {
        (
            commands { $($module:ident :: $command:ident ($($arg:ident : $arg_ty:ty),*) -> $reply:ty),* $(,)? }
            events { $($event:ident = $name:literal : $payload:ty),* $(,)? }
        ) => {{
            let cfg = Config::new().with_large_int("number");
            let mut imports = Imports::default();
            let mut command_types = Vec::new();
            $(
                let args: Vec<String> = vec![$({
                    imports.add::<$arg_ty>(&cfg);
                    format!("{}: {}", camel(stringify!($arg)), <$arg_ty as TS>::name(&cfg))
                }),*];
                imports.add::<$reply>(&cfg);
                let args = if args.is_empty() {
                    "{}".to_owned()
                } else {
                    format!("{{ {} }}", args.join("; "))
                };
                command_types.push(format!(
                    "  {}: {{ args: {args}; reply: {} }};",
                    stringify!($command),
                    <$reply as TS>::name(&cfg),
                ));
            )*
            let mut event_types = Vec::new();
            $(
                imports.add::<$payload>(&cfg);
                event_types.push(format!("  \"{}\": {};", $name, <$payload as TS>::name(&cfg)));
            )*
            Surface {
                commands: vec![$(stringify!($command).to_owned()),*],
                command_types,
                event_types,
                imports,
            }
        }};
    }

    fn typescript(surface: &Surface) -> String {
        let imports: String = surface
            .imports
            .0
            .iter()
            .map(|name| format!("import type {{ {name} }} from \"./{name}\";\n"))
            .collect();
        format!(
            "// Generated from src-tauri/ipc_surface.rs by src-tauri/ipc.rs. Do not edit.\n\
             {imports}\n\
             /** Each command the window may invoke: its arguments and its reply. */\n\
             export type Commands = {{\n{}\n}};\n\n\
             /** Each event the window hears, with its payload. */\n\
             export type Events = {{\n{}\n}};\n",
            surface.command_types.join("\n"),
            surface.event_types.join("\n"),
        )
    }

    /// The list, read once by each test.
    fn listed() -> Surface {
        ipc_surface!(surface)
    }

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_ui_map_is_generated_from_the_list() {
        let generated = typescript(&listed());
        let committed = repo().join("ui/src/lib/bindings/ipc.ts");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&committed, &generated).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&committed).unwrap_or_default(),
            generated,
            "ui/src/lib/bindings/ipc.ts is stale: run UPDATE_BINDINGS=1 cargo test -p secondread --lib ipc"
        );
    }

    /// The window may invoke exactly the listed commands: one missing from the
    /// capability file fails in the window, one too many is a door left open.
    #[test]
    fn the_capability_grants_exactly_the_listed_commands() {
        let text = std::fs::read_to_string(repo().join("capabilities/default.json")).unwrap();
        let capability: serde_json::Value = serde_json::from_str(&text).unwrap();
        let granted: BTreeSet<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .collect();
        let surface = listed();
        let expected: Vec<String> = surface
            .commands
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .chain(["core:event:default".to_owned()])
            .collect();
        assert_eq!(
            granted,
            expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
        );
    }
}
