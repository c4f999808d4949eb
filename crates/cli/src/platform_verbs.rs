//! `login`, `whoami`, `sync`, `logout` and `decide`: the platform session and the
//! outbox, headless.

use serde::Serialize;
use sr_engine::catalog::{Decision, Role};
use sr_engine::{DecideRequest, Engine, EngineError, SyncOptions};

use crate::output::emit;

/// Signs in through the system browser (the address is also printed, for a person
/// to open by hand), or with a device code typed on another device.
pub fn login(
    engine: &Engine,
    device_code: bool,
    open_browser: bool,
    json: bool,
) -> Result<(), EngineError> {
    let info = if device_code {
        engine.device_login(|code| {
            let uri = code
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&code.verification_uri);
            eprintln!(
                "To sign in, open {} on any device and enter the code {}",
                uri, code.user_code
            );
        })?
    } else {
        let pending = engine.begin_login()?;
        eprintln!("Open this address to sign in: {}", pending.url);
        if open_browser && let Err(e) = webbrowser::open(&pending.url) {
            eprintln!("(could not open a browser: {e}; open the address by hand)");
        }
        engine.finish_login(pending)?
    };
    emit(json, &info, || {
        let roles: Vec<&str> = info.roles.iter().map(|r| r.as_str()).collect();
        let mut text = format!(
            "signed in as {} ({})\n",
            info.username,
            if roles.is_empty() {
                "no reviewing role".into()
            } else {
                roles.join(", ")
            }
        );
        if let Some(message) = &info.message {
            text += &format!("{message}\n");
        }
        text
    })
}

pub fn whoami(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let status = engine.sync_status()?;
    emit(json, &status, || {
        let s = &status.session;
        let o = &status.outbox;
        let who = match s.mode.as_str() {
            "signed_out" => "not signed in".to_string(),
            "demo" => "demo session (no platform configured)".to_string(),
            "unconfigured" => "not connected to a platform (no platform.toml)".to_string(),
            _ => format!(
                "{} ({}), for {}{}",
                s.username,
                s.realm_roles.join(", "),
                match s.tenants.as_deref() {
                    Some([]) | None => "no clinic".to_string(),
                    Some(tenants) => tenants.join(", "),
                },
                if s.mode == "sign_in_again" {
                    ": session ended, sign in again"
                } else {
                    ""
                }
            ),
        };
        format!(
            "{who}\noutbox: {} pending, {} synced, {} failed, {} conflicts; last sync {}\n",
            o.pending,
            o.synced,
            o.failed,
            o.conflicts,
            o.last_success_at.as_deref().unwrap_or("never")
        )
    })
}

pub fn sync(
    engine: &Engine,
    batch_size: usize,
    retry_failed: bool,
    json: bool,
) -> Result<(), EngineError> {
    if retry_failed {
        engine.retry_failed()?;
    }
    let report = engine.sync(&SyncOptions {
        batch_size,
        ..SyncOptions::default()
    })?;
    let status = engine.sync_status()?;
    #[derive(Serialize)]
    struct Output<'a> {
        #[serde(flatten)]
        report: &'a sr_engine::SyncReport,
        status: &'a sr_engine::SyncStatus,
    }
    emit(
        json,
        &Output {
            report: &report,
            status: &status,
        },
        || {
            let mut text = format!(
                "sent {}: {} accepted, {} already there, {} conflicts, {} refused; {} pending \
                 (took {:.2} s)\n",
                report.sent,
                report.accepted,
                report.duplicates,
                report.conflicts,
                report.failed,
                report.pending,
                f64::from(report.took_ms) / 1000.0
            );
            for unsynced in &status.unsynced {
                let item = &unsynced.mine.item;
                match (&unsynced.theirs, &unsynced.error) {
                    (Some(theirs), _) => {
                        text += &format!(
                            "  conflict on {}/{}/{}: {} decided {}\n",
                            item.tenant,
                            item.batch,
                            item.key,
                            theirs.reviewer.username,
                            serde_json::to_string(&theirs.decision).unwrap_or_default()
                        )
                    }
                    (None, Some(error)) => {
                        text += &format!(
                            "  refused {}/{}/{}: {error}\n",
                            item.tenant, item.batch, item.key
                        )
                    }
                    (None, None) => {}
                }
            }
            if let Some(stop) = &report.stopped {
                text += &format!("stopped: {}\n", stop.message);
            }
            text
        },
    )?;
    match report.stopped {
        Some(stop) => Err(EngineError::SyncStopped(stop)),
        None => Ok(()),
    }
}

pub fn logout(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let pending = engine.sync_status()?.outbox.pending;
    let out = engine.logout()?;
    emit(json, &out, || {
        let mut text = "signed out\n".to_string();
        if let Some(note) = &out.note {
            text += &format!("{note}\n");
        }
        if pending > 0 {
            text += &format!("{pending} decisions wait in the outbox for the next sign-in\n");
        }
        text
    })
}

/// The decision a role's words name: `agree` for a doctor, `blurry` for a technician,
/// the accepted and rejected codes for a coder.
fn decision(
    role: Role,
    word: Option<&str>,
    accept: &[String],
    reject: &[String],
) -> Result<Decision, EngineError> {
    let kind = role.verdict_kind().as_str();
    let value = match role {
        Role::Coder => {
            serde_json::json!({"kind": kind, "decision": {"accepted": accept, "rejected": reject}})
        }
        _ => {
            let word = word.ok_or_else(|| {
                EngineError::Invalid(format!("a {} decision needs --decision", role.as_str()))
            })?;
            serde_json::json!({"kind": kind, "decision": word})
        }
    };
    serde_json::from_value(value).map_err(|_| {
        EngineError::Invalid(format!(
            "'{}' is not a {kind} decision",
            word.unwrap_or_default()
        ))
    })
}

/// `decide ITEM... --role R --decision D`: one verdict per item.
pub fn decide(engine: &Engine, args: &crate::DecideArgs, json: bool) -> Result<(), EngineError> {
    let role: Role = args.role.into();
    let items = &args.items;
    let note = args.note.as_str();
    let decision = decision(role, args.decision.as_deref(), &args.accept, &args.reject)?;
    let verdicts = items
        .iter()
        .map(|&item_id| {
            engine.decide(DecideRequest {
                item_id,
                role,
                decision: decision.clone(),
                note: note.to_owned(),
                time_spent_ms: 0,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    emit(json, &verdicts, || {
        verdicts
            .iter()
            .map(|v| {
                format!(
                    "{} {}/{}/{}\n",
                    v.uuid, v.item.tenant, v.item.batch, v.item.key
                )
            })
            .collect()
    })
}
