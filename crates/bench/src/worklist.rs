//! A worklist query on a synthetic catalogue of ITEMS items (default 100,000), with
//! some decided: once encrypted, as every workstation keeps it, and once unencrypted,
//! the peer encryption's cost is measured against.

use std::fs;
use std::time::Instant;

use sr_catalog::{
    BatchKind, Catalog, Decision, DiagnosisDecision, ImportOptions, ItemState, NewVerdict,
    Protection, Reviewer, Role, StoreKey, WorklistQuery,
};

const BATCH_SIZE: usize = 1000;
const DECIDED: usize = 2000;
const RUNS: usize = 30;

pub fn run(args: &[String]) {
    let items: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let encrypted = measure(items, Protection::Encrypted(StoreKey::generate()));
    let plaintext = measure(items, Protection::Plaintext);
    println!(
        "{}",
        serde_json::json!({"items": items, "encrypted": encrypted, "plaintext": plaintext})
    );
}

fn measure(items: usize, protection: Protection) -> serde_json::Value {
    let src = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("temp dir");
    for i in 0..items {
        let dir = src
            .path()
            .join(format!("tenant-{}", i / (BATCH_SIZE * 10)))
            .join(format!("batch-{:04}", i / BATCH_SIZE));
        if i % BATCH_SIZE == 0 {
            fs::create_dir_all(&dir).expect("batch dir");
        }
        // One shared content: the blob store keeps it once, so setup stays quick.
        fs::write(dir.join(format!("img-{i:06}.png")), b"x").expect("item");
    }
    let mut catalog = Catalog::open(data.path(), &protection).expect("catalogue");
    let setup = Instant::now();
    catalog
        .import_dir(
            src.path(),
            &ImportOptions {
                default_kind: BatchKind::Imaging,
                source: "bench".into(),
            },
        )
        .expect("import");
    let import_s = setup.elapsed().as_secs_f64();
    let first = catalog
        .worklist(&query(None, None), &sr_catalog::TenantScope::Every)
        .expect("worklist")
        .rows;
    for row in first.iter().take(DECIDED.min(items)) {
        catalog
            .record_verdict(NewVerdict {
                item_id: row.id,
                decision: Decision::Diagnosis(DiagnosisDecision::Agree),
                note: String::new(),
                reviewer: Reviewer {
                    subject: "bench".into(),
                    username: "bench".into(),
                },
                role: Role::Doctor,
                time_spent_ms: 1,
            })
            .expect("verdict");
    }

    let mut timings = Vec::new();
    for run in 0..RUNS {
        let q = match run % 3 {
            0 => query(None, None),
            1 => query(Some("tenant-1"), None),
            _ => query(None, Some(ItemState::Decided)),
        };
        let start = Instant::now();
        let list = catalog
            .worklist(&q, &sr_catalog::TenantScope::Every)
            .expect("worklist");
        timings.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(!list.rows.is_empty());
    }
    timings.sort_by(f64::total_cmp);
    let pct = |p: f64| timings[((timings.len() - 1) as f64 * p).round() as usize];
    serde_json::json!({
        "import_s": import_s,
        "query_ms_p50": pct(0.5),
        "query_ms_p95": pct(0.95),
    })
}

fn query(tenant: Option<&str>, state: Option<ItemState>) -> WorklistQuery {
    WorklistQuery {
        tenant: tenant.map(str::to_owned),
        state,
        limit: 1000,
        ..WorklistQuery::for_role(Role::Doctor)
    }
}
