//! An on-premises MinIO behind a certificate from the clinic's own CA: refused until the
//! CA bundle is configured, then trusted; certificate checks are never turned off.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use sr_pull::{SourceLocation, open_store};

/// A CA and a server certificate for 127.0.0.1 it signed, made with openssl.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (Debian package) is installed by make deps");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=SecondRead test clinic CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"],
            &ec[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_refused_until_its_bundle_is_configured() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let cert = certs.path().join("server.pem");
    let key = certs.path().join("server.key");
    let moto = spawn_server(
        repo_tool(".venv/bin/moto_server"),
        &[
            "-H",
            "127.0.0.1",
            "-p",
            "{port}",
            "-s",
            "-c",
            cert.to_str().unwrap(),
            "-k",
            key.to_str().unwrap(),
        ],
    );
    let source = |ca: Option<PathBuf>| {
        let mut config = s3_config("clinic-minio", moto.port, BUCKET, "test");
        if let SourceLocation::S3 {
            endpoint,
            ca_bundle,
            ..
        } = &mut config.location
        {
            *endpoint = Some(format!("https://127.0.0.1:{}", moto.port));
            *ca_bundle = ca;
        }
        config
    };
    let config = source(None);

    let data = tempfile::tempdir().unwrap();
    let catalog = open_catalog(data.path());
    let untrusted = open_store(&config, Some("secret")).unwrap();
    let started = Instant::now();
    let err = pull_all(&untrusted, &config, &catalog).await.unwrap_err();
    let message = format!("{err:?}");
    assert!(
        err.to_string().starts_with("source 'clinic-minio'"),
        "{err}"
    );
    assert!(
        message.contains("certificate") || message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up in time"
    );

    let config = source(Some(certs.path().join("ca.pem")));
    let trusted = open_store(&config, Some("secret")).unwrap();
    let image = b"a capture over TLS".as_slice();
    // object_store has no verb for making a bucket; curl (a Debian package) does it.
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--cacert",
            certs.path().join("ca.pem").to_str().unwrap(),
        ])
        .args([
            "-X",
            "PUT",
            &format!("https://127.0.0.1:{}/{BUCKET}", moto.port),
        ])
        .output()
        .expect("curl is installed by make deps");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    put_batch(trusted.objects(), "clinic-a", "b1", &[("one.png", image)]).await;
    let report = pull_all(&trusted, &config, &catalog).await.unwrap();
    assert_eq!(report.fetched, 1, "{:?}", report.recorded.failed);
}
