//! Pulls against s3s-fs, an S3 server that checks SigV4 signatures for real, on 127.0.0.1:
//! the right secret pulls, a wrong one is refused at once with the source's name.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sr_pull::{PullError, open_store};
use sr_test_support::{manifest, manifest_entry};

const ACCESS_KEY: &str = "AKIDSECONDREAD";
const SECRET: &str = "the-real-secret";

/// s3s-fs serving a bucket whose objects are files under `root/captures`.
fn start_s3s_fs(root: &std::path::Path, files: &[(&str, &[u8])]) -> Server {
    for (key, bytes) in files {
        let path = root.join(BUCKET).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    spawn_server(
        repo_tool(".tools/bin/s3s-fs"),
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--access-key",
            ACCESS_KEY,
            "--secret-key",
            SECRET,
            root.to_str().unwrap(),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_pull_works_and_a_wrong_secret_is_refused_without_a_retry_storm() {
    let image = b"a signed capture".as_slice();
    let manifest = manifest(
        "clinic-a",
        "b1",
        serde_json::json!([manifest_entry("one.png", image)]),
    )
    .to_string();
    let root = tempfile::tempdir().unwrap();
    let server = start_s3s_fs(
        root.path(),
        &[
            ("clinic-a/b1/one.png", image),
            ("clinic-a/b1/batch.json", manifest.as_bytes()),
        ],
    );
    let config = s3_config("signed-s3", server.port, BUCKET, ACCESS_KEY);
    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());

    let wrong = open_store(&config, Some("not-the-secret")).unwrap();
    let started = Instant::now();
    let err = pull_all(&wrong, &config, &catalog).await.unwrap_err();
    assert!(matches!(err, PullError::Source { .. }), "{err}");
    assert!(err.to_string().starts_with("source 'signed-s3'"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a 403 is not retried ({:?})",
        started.elapsed()
    );

    let right = open_store(&config, Some(SECRET)).unwrap();
    let report = pull_all(&right, &config, &catalog).await.unwrap();
    assert_eq!((report.recorded.added, report.fetched), (1, 1));
    assert!(
        report.recorded.failed.is_empty(),
        "{:?}",
        report.recorded.failed
    );
}
