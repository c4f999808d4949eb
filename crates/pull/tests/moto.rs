//! Pulls against a real S3 server (moto_server from the test virtualenv) on 127.0.0.1,
//! started and stopped by the test; faults come from a proxy in front of it.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};
use common::*;
use sr_catalog::{BatchKind, TenantScope};
use sr_pull::{
    ModelOutcome, PullError, PullOptions, PullProgress, SourceConfig, SourceLocation, open_store,
    pull,
};
use sr_test_support::{manifest, sha256_hex};

fn moto_config(moto: &Server) -> SourceConfig {
    s3_config("clinic-minio", moto.port, BUCKET, "test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_verifies_each_item_resumes_from_the_cache_and_picks_up_changes() {
    let moto = start_moto();
    let config = moto_config(&moto);
    let store = open_store(&config, Some("secret")).unwrap();

    let (a, b) = (b"first image".as_slice(), b"second image".as_slice());
    put(store.objects(), "clinic-a/b1/a.png", a).await;
    put(store.objects(), "clinic-a/b1/b.png", b).await;
    put(
        store.objects(),
        "clinic-a/b1/tampered.png",
        b"bytes that changed",
    )
    .await;
    put(
        store.objects(),
        "clinic-a/b1/batch.json",
        manifest(
            "clinic-a",
            "b1",
            serde_json::json!([
                {"key": "a.png", "sha256": sha256_hex(a), "size": a.len()},
                {"key": "b.png", "sha256": sha256_hex(b)},
                {"key": "tampered.png", "sha256": sha256_hex(b"the original bytes")},
                {"key": "gone.png", "sha256": sha256_hex(b"x")},
                {"key": "../../escape.png", "sha256": sha256_hex(a)},
            ]),
        )
        .to_string()
        .as_bytes(),
    )
    .await;
    put(
        store.objects(),
        "clinic-b/loose/scan.jpg",
        b"no manifest here",
    )
    .await;
    put(store.objects(), "clinic-b/loose/readme.txt", b"ignored").await;

    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let first = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!(first.recorded.batches, 2);
    assert_eq!(first.recorded.added, 6);
    assert_eq!(first.fetched, 3, "a.png, b.png and scan.jpg");
    assert!(reason(&catalog, "tampered.png").contains("checksum mismatch"));
    assert!(reason(&catalog, "gone.png").contains("not in the bucket"));
    assert!(reason(&catalog, "../../escape.png").contains("'..'"));
    assert!(!data.path().parent().unwrap().join("escape.png").exists());

    // A second pull downloads nothing the cache already holds.
    let second = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!(second.recorded.added, 0);
    assert_eq!(
        (second.fetched, second.cached),
        (0, 3),
        "a.png and b.png by their sha256, scan.jpg by its ETag"
    );

    // A changed object with its new checksum is fetched again and recorded as changed.
    let b2 = b"second image, retaken".as_slice();
    put(store.objects(), "clinic-a/b1/b.png", b2).await;
    put(
        store.objects(),
        "clinic-a/b1/batch.json",
        manifest(
            "clinic-a",
            "b1",
            serde_json::json!([
                {"key": "a.png", "sha256": sha256_hex(a)},
                {"key": "b.png", "sha256": sha256_hex(b2)},
            ]),
        )
        .to_string()
        .as_bytes(),
    )
    .await;
    let third = pull(
        &store,
        &config,
        &catalog,
        &PullOptions {
            tenant: Some("clinic-a".into()),
            ..PullOptions::default()
        },
        &TenantScope::Every,
        &PullProgress::default(),
    )
    .await
    .unwrap();
    assert_eq!(third.recorded.batches, 1);
    assert_eq!((third.fetched, third.cached), (1, 1));
    assert_eq!(third.recorded.changed, 1);
    assert!(catalog.lock().unwrap().blobs().contains(&sha256_hex(b2)));

    // A person of clinic-b alone pulls clinic-b's batch, and is told clinic-a was left.
    let theirs = tempfile::tempdir().unwrap();
    let theirs = open_catalog(theirs.path());
    let scoped = pull(
        &store,
        &config,
        &theirs,
        &PullOptions::default(),
        &TenantScope::only(["clinic-b"]),
        &PullProgress::default(),
    )
    .await
    .unwrap();
    assert_eq!(scoped.not_yours, ["clinic-a"]);
    assert_eq!((scoped.recorded.batches, scoped.fetched), (1, 1));
    assert!(
        !theirs.lock().unwrap().blobs().contains(&sha256_hex(a)),
        "nothing of clinic-a reached this workstation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_no_request_can_name_fail_alone_and_the_rest_of_their_batch_is_pulled() {
    let moto = start_moto();
    let config = moto_config(&moto);
    let store = open_store(&config, Some("secret")).unwrap();

    let image = b"a clean capture".as_slice();
    put_batch(store.objects(), "clinic-a", "b1", &[("a.png", image)]).await;
    // The longest key S3 allows, 1,024 bytes, is an ordinary key.
    let long = format!("{}.png", "l".repeat(1024 - "clinic-a/loose/".len() - 4));
    put(store.objects(), "clinic-a/loose/scan.jpg", b"no manifest").await;
    put(store.objects(), &format!("clinic-a/loose/{long}"), image).await;
    // Keys S3 stores but object_store's path cannot hold; moto keeps them as written.
    for key in [
        "clinic-a/b1/../escape.png",
        "clinic-a/loose/../escape.png",
        "clinic-a/loose/./dot.png",
        "clinic-a/loose//double.png",
        "clinic-a/loose/folder/",
        "clinic-a/loose/bell%07.png",
        "clinic-a//stray.png",
        "%01tenant/b/x.png",
    ] {
        raw_request(moto.port, "PUT", &format!("/{BUCKET}/{key}"));
    }

    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let report = pull_all(&store, &config, &catalog).await.unwrap();

    assert_eq!(
        report.recorded.batches, 2,
        "b1 and loose, the odd names skipped"
    );
    assert_eq!(report.fetched, 3, "a.png, scan.jpg and the long key");
    let mut failed: Vec<(String, String)> = errors(&catalog);
    failed.sort();
    let keys: Vec<&str> = failed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["../escape.png", "./dot.png", "/double.png", "bell\u{7}.png"],
        "{failed:?}"
    );
    assert!(failed[0].1.contains("'..'"), "{failed:?}");
    assert!(failed[3].1.contains("control characters"), "{failed:?}");
    assert!(!data.path().parent().unwrap().join("escape.png").exists());

    // The next pull finds the same: nothing refetched, nothing newly broken.
    let again = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!((again.fetched, again.cached), (0, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_a_clear_error_naming_the_source() {
    let moto = start_moto();
    let config = moto_config(&moto);
    drop(moto);
    let store = open_store(&config, Some("secret")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let started = Instant::now();
    let err = pull_all(&store, &config, &catalog).await.unwrap_err();
    assert!(matches!(err, PullError::Source { .. }), "{err}");
    assert!(
        err.to_string().starts_with("source 'clinic-minio'"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("Signature"),
        "no signed URL in a message: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "gave up in time"
    );
}

#[test]
fn plain_http_to_a_remote_endpoint_is_refused() {
    let config = SourceConfig {
        name: "cloud".into(),
        location: SourceLocation::S3 {
            endpoint: Some("http://minio.clinic.example:9000".into()),
            region: "us-east-1".into(),
            bucket: BUCKET.into(),
            virtual_hosted: false,
            access_key_id: "k".into(),
            ca_bundle: None,
        },
        tenants: vec![],
        concurrency: 4,
        part_size_mib: 16,
        default_kind: BatchKind::Imaging,
    };
    let Err(err) = open_store(&config, Some("s")) else {
        panic!("plain HTTP to a remote endpoint was accepted");
    };
    assert!(err.to_string().contains("not HTTPS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowdowns_and_dropped_connections_are_retried_and_a_deleted_object_fails_alone() {
    let moto = start_moto();
    let direct = open_store(&moto_config(&moto), Some("secret")).unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| {
            (
                format!("img{i}.png"),
                format!("capture number {i}").repeat(50).into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(k, b)| (k.as_str(), b.as_slice()))
        .collect();
    put_batch(direct.objects(), "clinic-a", "b1", &refs).await;

    let proxy = FaultProxy::start(
        moto.port,
        vec![
            ("img0.png".into(), Fault::SlowDown(2)),
            ("img1.png".into(), Fault::DropMidBody),
            ("img2.png".into(), Fault::DeleteFirst),
        ],
    );
    let config = s3_config("clinic-minio", proxy.port, BUCKET, "test");
    let store = open_store(&config, Some("secret")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let report = pull_all(&store, &config, &catalog).await.unwrap();

    assert_eq!(report.fetched, 5, "{:?}", report.recorded.failed);
    assert_eq!(
        proxy.gets_of("img0.png"),
        3,
        "two SlowDowns, then the object"
    );
    assert!(
        proxy.gets_of("img1.png") >= 2,
        "the dropped transfer was retried"
    );
    let failed: Vec<&str> = report
        .recorded
        .failed
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(failed, ["img2.png"]);
    assert!(
        reason(&catalog, "img2.png").contains("deleted from the bucket during the pull"),
        "{}",
        reason(&catalog, "img2.png")
    );
    for (key, bytes) in &files[..2] {
        assert!(
            catalog.lock().unwrap().blobs().contains(&sha256_hex(bytes)),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_names_the_source_and_the_bucket_without_retrying() {
    let moto = start_moto();
    let config = s3_config("clinic-minio", moto.port, "no-such-bucket", "test");
    let store = open_store(&config, Some("secret")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let started = Instant::now();
    let err = pull_all(&store, &config, &catalog).await.unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("source 'clinic-minio'"), "{message}");
    assert!(
        message.contains("NoSuchBucket") || message.contains("not found"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no retry storm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_arrive_whole_through_parallel_ranged_gets() {
    let moto = start_moto();
    let mut config = moto_config(&moto);
    config.part_size_mib = 2;
    let store = open_store(&config, Some("secret")).unwrap();
    // 13 MiB of varied bytes: seven 2 MiB parts, four at a time, the last one short.
    let big: Vec<u8> = (0..13 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    put_batch(store.objects(), "clinic-a", "ct", &[("volume.dcm", &big)]).await;
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let progress = PullProgress::default();
    let report = pull(
        &store,
        &config,
        &catalog,
        &PullOptions::default(),
        &TenantScope::Every,
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(report.fetched_bytes, big.len() as u64);
    let mut stored = Vec::new();
    catalog
        .lock()
        .unwrap()
        .blobs()
        .open(&sha256_hex(&big))
        .unwrap()
        .read_to_end(&mut stored)
        .unwrap();
    assert!(stored == big, "the parts were written in order");
    let snap = progress.snapshot();
    assert_eq!((snap.items_done, snap.items_total), (1, 1));
    assert_eq!(
        (snap.bytes_done, snap.bytes_total),
        (big.len() as u64, big.len() as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_without_checksums_are_not_fetched_again_until_their_etag_changes() {
    let moto = start_moto();
    let config = moto_config(&moto);
    let store = open_store(&config, Some("secret")).unwrap();
    put(store.objects(), "clinic-b/loose/one.jpg", b"first photo").await;
    put(store.objects(), "clinic-b/loose/two.jpg", b"second photo").await;
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let first = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!(first.fetched, 2);
    let second = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!((second.fetched, second.cached), (0, 2));
    put(
        store.objects(),
        "clinic-b/loose/two.jpg",
        b"second photo, retaken",
    )
    .await;
    let third = pull_all(&store, &config, &catalog).await.unwrap();
    assert_eq!((third.fetched, third.cached), (1, 1));
    assert_eq!(third.recorded.changed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_that_would_pass_the_cache_quota_stay_in_the_bucket() {
    let moto = start_moto();
    let config = moto_config(&moto);
    let store = open_store(&config, Some("secret")).unwrap();
    let small = vec![7u8; 10_000];
    let large = vec![9u8; 60_000];
    put_batch(store.objects(), "clinic-a", "a-small", &[("s.png", &small)]).await;
    put_batch(store.objects(), "clinic-a", "b-large", &[("l.png", &large)]).await;
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let options = PullOptions {
        cache_quota_bytes: Some(50_000),
        ..PullOptions::default()
    };
    let report = pull(
        &store,
        &config,
        &catalog,
        &options,
        &TenantScope::Every,
        &PullProgress::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.fetched, 1);
    assert_eq!(report.deferred.len(), 1);
    assert_eq!(report.deferred[0].batch, "b-large");
    assert!(
        report.deferred[0].reason.contains("quota"),
        "{:?}",
        report.deferred
    );
    assert!(
        !catalog
            .lock()
            .unwrap()
            .blobs()
            .contains(&sha256_hex(&large))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_in_the_bucket_are_installed_when_their_sha256_checks_out() {
    let moto = start_moto();
    let config = moto_config(&moto);
    let store = open_store(&config, Some("secret")).unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo-spots");
    let onnx = std::fs::read(demo.join("model.onnx")).unwrap();
    let manifest_text = std::fs::read_to_string(demo.join("model.toml")).unwrap();
    put(
        store.objects(),
        "models/demo-spots/model.toml",
        manifest_text.as_bytes(),
    )
    .await;
    put(store.objects(), "models/demo-spots/model.onnx", &onnx).await;
    // A model whose file is not the one its manifest names.
    let forged = manifest_text.replace("id = \"demo-spots\"", "id = \"forged\"");
    put(
        store.objects(),
        "models/forged/model.toml",
        forged.as_bytes(),
    )
    .await;
    put(
        store.objects(),
        "models/forged/model.onnx",
        b"not the model",
    )
    .await;
    // A folder whose manifest names another model, and a "manifest" too large to be one.
    put(
        store.objects(),
        "models/other-name/model.toml",
        manifest_text.as_bytes(),
    )
    .await;
    put(
        store.objects(),
        "models/huge/model.toml",
        &vec![b'#'; 100 * 1024],
    )
    .await;
    put(store.objects(), "clinic-a/b1/a.png", b"an image").await;

    let data = tempfile::tempdir().unwrap();
    let models = data.path().join("models");
    let catalog = open_catalog(data.path());
    let options = PullOptions {
        models_dir: Some(models.clone()),
        ..PullOptions::default()
    };
    let progress = PullProgress::default();
    let run = || {
        pull(
            &store,
            &config,
            &catalog,
            &options,
            &TenantScope::Every,
            &progress,
        )
    };
    let first = run().await.unwrap();
    let outcome = |report: &sr_pull::PullReport, id: &str| {
        report
            .models
            .iter()
            .find(|m| m.id == id)
            .unwrap()
            .outcome
            .clone()
    };
    assert_eq!(outcome(&first, "demo-spots"), ModelOutcome::Installed);
    assert!(
        matches!(outcome(&first, "forged"), ModelOutcome::Refused(r) if r.contains("sha256")),
        "{:?}",
        first.models
    );
    assert_eq!(
        std::fs::read(models.join("demo-spots/model.onnx")).unwrap(),
        onnx
    );
    assert!(!models.join("forged").exists());
    assert!(
        matches!(outcome(&first, "other-name"), ModelOutcome::Refused(r) if r.contains("names \"demo-spots\"")),
        "{:?}",
        first.models
    );
    assert!(
        matches!(outcome(&first, "huge"), ModelOutcome::Refused(r) if r.contains("not a manifest")),
        "{:?}",
        first.models
    );
    // Items still come, and `models/` is never taken for a tenant.
    assert_eq!(first.recorded.batches, 1);
    assert_eq!(first.recorded.added, 1);

    let second = run().await.unwrap();
    assert_eq!(outcome(&second, "demo-spots"), ModelOutcome::Unchanged);

    // A new version replaces the installed one whole.
    let v2 = manifest_text.replace("version = \"1.0.0\"", "version = \"1.1.0\"");
    put(
        store.objects(),
        "models/demo-spots/model.toml",
        v2.as_bytes(),
    )
    .await;
    let third = run().await.unwrap();
    assert_eq!(outcome(&third, "demo-spots"), ModelOutcome::Installed);
    assert_eq!(
        std::fs::read_to_string(models.join("demo-spots/model.toml")).unwrap(),
        v2
    );
    let leftovers: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("demo-spots")]);
}
