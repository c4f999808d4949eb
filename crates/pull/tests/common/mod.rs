//! What the pull tests share: real servers started on 127.0.0.1 and stopped on drop,
//! the sources that reach them, and helpers to build batches and read the outcome.

#![allow(dead_code)] // each test binary uses its own subset

pub mod fault_proxy;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sr_catalog::{BatchKind, Catalog};
use sr_pull::{
    PullError, PullOptions, PullProgress, PullReport, Remote, SourceConfig, SourceLocation,
};
use sr_test_support::{error_rows, manifest, manifest_entry};

/// A server process of the test's own, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A tool the make targets installed under the repository (`.venv`, `.tools`).
pub fn repo_tool(relative: &str) -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    assert!(bin.is_file(), "no {relative}: run `make deps` first");
    bin
}

/// Starts `bin` with `args` (in which `{port}` is replaced) and waits for its port.
pub fn spawn_server(bin: PathBuf, args: &[&str]) -> Server {
    let port = free_port();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{port}", &port.to_string()))
        .collect();
    let child = Command::new(&bin)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    wait_for_port(port, &bin.display().to_string());
    server
}

pub const BUCKET: &str = "captures";

/// A moto_server with the test bucket created.
pub fn start_moto() -> Server {
    let server = spawn_server(
        repo_tool(".venv/bin/moto_server"),
        &["-H", "127.0.0.1", "-p", "{port}"],
    );
    raw_request(server.port, "PUT", &format!("/{BUCKET}"));
    server
}

/// A request straight to moto, which does not check signatures (it only wants one to
/// be there for deletes); object_store has no verb for creating buckets, and the fault
/// proxy deletes objects behind the client's back.
pub fn raw_request(port: u16, method: &str, path: &str) -> String {
    // moto's server can reset the first connections while it is still starting up
    // under load (seen on a busy 2-core machine): a few tries before giving up.
    let mut last = None;
    for _ in 0..5 {
        match try_raw_request(port, method, path) {
            Ok(reply) => {
                assert!(reply.starts_with("HTTP/1.1 2"), "{method} {path}: {reply}");
                return reply;
            }
            Err(e) => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
        }
    }
    panic!("{method} {path}: {last:?}");
}

fn try_raw_request(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n\r\n"
    )?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

pub fn s3_config(name: &str, port: u16, bucket: &str, access_key_id: &str) -> SourceConfig {
    SourceConfig {
        name: name.into(),
        location: SourceLocation::S3 {
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            region: "us-east-1".into(),
            bucket: bucket.into(),
            virtual_hosted: false,
            access_key_id: access_key_id.into(),
            ca_bundle: None,
        },
        tenants: vec![],
        concurrency: 8,
        part_size_mib: 16,
        default_kind: BatchKind::Imaging,
    }
}

pub async fn put(store: &Arc<dyn ObjectStore>, key: &str, bytes: &[u8]) {
    store
        .put(&Path::from(key), PutPayload::from(bytes.to_vec()))
        .await
        .unwrap();
}

/// Puts each file and a batch.json listing them with their sha256.
pub async fn put_batch(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    batch: &str,
    files: &[(&str, &[u8])],
) {
    let mut items = Vec::new();
    for (key, bytes) in files {
        put(store, &format!("{tenant}/{batch}/{key}"), bytes).await;
        items.push(manifest_entry(key, bytes));
    }
    let manifest = manifest(tenant, batch, items.into()).to_string();
    put(
        store,
        &format!("{tenant}/{batch}/batch.json"),
        manifest.as_bytes(),
    )
    .await;
}

/// The catalogue under the tests' key, shared as a pull shares it.
pub fn open_catalog(dir: &std::path::Path) -> Mutex<Catalog> {
    Mutex::new(sr_test_support::open_catalog(dir))
}

/// A whole pull with fresh progress counters.
pub async fn pull_all(
    store: &Remote,
    config: &SourceConfig,
    catalog: &Mutex<Catalog>,
) -> Result<PullReport, PullError> {
    sr_pull::pull(
        store,
        config,
        catalog,
        &PullOptions::default(),
        &sr_catalog::TenantScope::Every,
        &PullProgress::default(),
    )
    .await
}

/// `(key, reason)` for every item in the error state.
pub fn errors(catalog: &Mutex<Catalog>) -> Vec<(String, String)> {
    error_rows(&catalog.lock().unwrap())
}

/// The reason `key` is in error; fails the test if it is not.
pub fn reason(catalog: &Mutex<Catalog>, key: &str) -> String {
    let errors = errors(catalog);
    errors
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, e)| e.clone())
        .unwrap_or_else(|| panic!("{key} not in error: {errors:?}"))
}
