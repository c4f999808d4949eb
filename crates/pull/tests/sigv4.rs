//! Pulls against s3s-fs, an S3 server that checks SigV4 signatures for real, on 127.0.0.1:
//! the right secret pulls, a wrong one is refused at once with the source's name.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sr_catalog::{BatchKind, Catalog};
use sr_pull::{PullError, PullFilter, SourceConfig, SourceLocation, open_store, pull};

const ACCESS_KEY: &str = "AKIDSECONDREAD";
const SECRET: &str = "the-real-secret";

struct S3sFs {
    child: Child,
    port: u16,
    _root: tempfile::TempDir,
}

impl S3sFs {
    /// Serves a bucket whose objects are files under `root/captures`.
    fn start(files: &[(&str, &[u8])]) -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/s3s-fs");
        assert!(bin.is_file(), "no s3s-fs: run `make deps` first");
        let root = tempfile::tempdir().unwrap();
        for (key, bytes) in files {
            let path = root.path().join("captures").join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        S3sFs {
            child,
            port,
            _root: root,
        }
    }

    fn config(&self) -> SourceConfig {
        SourceConfig {
            name: "signed-s3".into(),
            location: SourceLocation::S3 {
                endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
                region: "us-east-1".into(),
                bucket: "captures".into(),
                virtual_hosted: false,
                access_key_id: ACCESS_KEY.into(),
            },
            tenants: vec![],
            concurrency: 4,
            default_kind: BatchKind::Imaging,
        }
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_pull_works_and_a_wrong_secret_is_refused_without_a_retry_storm() {
    let image = b"a signed capture".as_slice();
    let manifest = serde_json::json!({"schema": "secondread.batch/1", "batch_id": "b1",
        "tenant": "clinic-a", "kind": "imaging",
        "items": [{"key": "one.png", "sha256": hex::encode(Sha256::digest(image))}]})
    .to_string();
    let server = S3sFs::start(&[
        ("clinic-a/b1/one.png", image),
        ("clinic-a/b1/batch.json", manifest.as_bytes()),
    ]);
    let config = server.config();
    let data = tempfile::tempdir().unwrap();
    let catalog = Mutex::new(Catalog::open(data.path()).unwrap());

    let wrong = open_store(&config, Some("not-the-secret")).unwrap();
    let started = Instant::now();
    let err = pull(wrong.as_ref(), &config, &catalog, &PullFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PullError::Source { .. }), "{err}");
    assert!(err.to_string().starts_with("source 'signed-s3'"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a 403 is not retried ({:?})",
        started.elapsed()
    );

    let right = open_store(&config, Some(SECRET)).unwrap();
    let report = pull(right.as_ref(), &config, &catalog, &PullFilter::default())
        .await
        .unwrap();
    assert_eq!((report.recorded.added, report.fetched), (1, 1));
    assert!(
        report.recorded.failed.is_empty(),
        "{:?}",
        report.recorded.failed
    );
}
