//! Pulls against a real S3 server (moto_server from the test virtualenv) on 127.0.0.1,
//! started and stopped by the test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use sr_catalog::{BatchKind, Catalog, ItemState, Role, WorklistQuery};
use sr_pull::{PullError, PullFilter, SourceConfig, SourceLocation, open_store, pull};

const BUCKET: &str = "captures";

struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
        assert!(bin.is_file(), "no moto_server: run `make deps` first");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let moto = Moto { child, port };
        moto.create_bucket();
        moto
    }

    /// moto accepts an unsigned CreateBucket; object_store has no verb for it.
    fn create_bucket(&self) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }

    fn config(&self) -> SourceConfig {
        SourceConfig {
            name: "clinic-minio".into(),
            location: SourceLocation::S3 {
                endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
                region: "us-east-1".into(),
                bucket: BUCKET.into(),
                virtual_hosted: false,
                access_key_id: "test".into(),
            },
            tenants: vec![],
            concurrency: 8,
            default_kind: BatchKind::Imaging,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn put(store: &Arc<dyn ObjectStore>, key: &str, bytes: &[u8]) {
    store
        .put(&Path::from(key), PutPayload::from(bytes.to_vec()))
        .await
        .unwrap();
}

fn manifest(tenant: &str, batch: &str, items: serde_json::Value) -> Vec<u8> {
    serde_json::json!({"schema": "secondread.batch/1", "batch_id": batch, "tenant": tenant,
                       "kind": "imaging", "items": items})
    .to_string()
    .into_bytes()
}

fn errors(catalog: &Mutex<Catalog>) -> Vec<(String, String)> {
    let catalog = catalog.lock().unwrap();
    let list = catalog
        .worklist(&WorklistQuery {
            role: Role::Doctor,
            tenant: None,
            batch: None,
            state: Some(ItemState::Error),
            limit: 100,
        })
        .unwrap();
    list.rows
        .into_iter()
        .map(|r| (r.key, r.error.unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_verifies_each_item_resumes_from_the_cache_and_picks_up_changes() {
    let moto = Moto::start();
    let config = moto.config();
    let store = open_store(&config, Some("secret")).unwrap();

    let (a, b) = (b"first image".as_slice(), b"second image".as_slice());
    put(&store, "clinic-a/b1/a.png", a).await;
    put(&store, "clinic-a/b1/b.png", b).await;
    put(&store, "clinic-a/b1/tampered.png", b"bytes that changed").await;
    put(
        &store,
        "clinic-a/b1/batch.json",
        &manifest(
            "clinic-a",
            "b1",
            serde_json::json!([
                {"key": "a.png", "sha256": sha(a), "size": a.len()},
                {"key": "b.png", "sha256": sha(b)},
                {"key": "tampered.png", "sha256": sha(b"the original bytes")},
                {"key": "gone.png", "sha256": sha(b"x")},
                {"key": "../../escape.png", "sha256": sha(a)},
            ]),
        ),
    )
    .await;
    put(&store, "clinic-b/loose/scan.jpg", b"no manifest here").await;
    put(&store, "clinic-b/loose/readme.txt", b"ignored").await;

    let data = tempfile::tempdir().unwrap();
    let catalog = Mutex::new(Catalog::open(data.path()).unwrap());
    let first = pull(store.as_ref(), &config, &catalog, &PullFilter::default())
        .await
        .unwrap();
    assert_eq!(first.recorded.batches, 2);
    assert_eq!(first.recorded.added, 6);
    assert_eq!(first.fetched, 3, "a.png, b.png and scan.jpg");
    let errors = errors(&catalog);
    let reason = |key: &str| {
        errors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{key} not in error: {errors:?}"))
    };
    assert!(reason("tampered.png").contains("checksum mismatch"));
    assert!(reason("gone.png").contains("not in the bucket"));
    assert!(reason("../../escape.png").contains("'..'"));
    assert!(!data.path().parent().unwrap().join("escape.png").exists());

    // A second pull downloads nothing the cache already holds.
    let second = pull(store.as_ref(), &config, &catalog, &PullFilter::default())
        .await
        .unwrap();
    assert_eq!(second.recorded.added, 0);
    assert_eq!(second.cached, 2, "a.png and b.png come from the cache");

    // A changed object with its new checksum is fetched again and recorded as changed.
    let b2 = b"second image, retaken".as_slice();
    put(&store, "clinic-a/b1/b.png", b2).await;
    put(
        &store,
        "clinic-a/b1/batch.json",
        &manifest(
            "clinic-a",
            "b1",
            serde_json::json!([
                {"key": "a.png", "sha256": sha(a)},
                {"key": "b.png", "sha256": sha(b2)},
            ]),
        ),
    )
    .await;
    let third = pull(
        store.as_ref(),
        &config,
        &catalog,
        &PullFilter {
            tenant: Some("clinic-a".into()),
            batch: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(third.recorded.batches, 1);
    assert_eq!((third.fetched, third.cached), (1, 1));
    assert_eq!(third.recorded.changed, 1);
    assert!(catalog.lock().unwrap().blobs().contains(&sha(b2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_a_clear_error_naming_the_source() {
    let moto = Moto::start();
    let config = moto.config();
    drop(moto);
    let store = open_store(&config, Some("secret")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let catalog = Mutex::new(Catalog::open(data.path()).unwrap());
    let started = Instant::now();
    let err = pull(store.as_ref(), &config, &catalog, &PullFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PullError::Source { .. }), "{err}");
    assert!(
        err.to_string().starts_with("source 'clinic-minio'"),
        "{err}"
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
        },
        tenants: vec![],
        concurrency: 4,
        default_kind: BatchKind::Imaging,
    };
    let err = open_store(&config, Some("s")).err().expect("refused");
    assert!(err.to_string().contains("not HTTPS"), "{err}");
}
