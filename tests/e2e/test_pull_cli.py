"""`secondread pull` against a real S3 server (moto) with the secret in the real OS keyring
(gnome-keyring in the private D-Bus session `make e2e` starts)."""

import json
import re
import sqlite3
import subprocess
import uuid

import harness
import pytest
from conftest import APP, cli

BATCHES = ["clinic-a/2026-11-20-cr-0001", "hospital-c/2026-11-23-quarantine-0005"]


@pytest.fixture
def s3(s3):
    """The bucket holding a chest batch and a batch of hostile files."""
    for batch in BATCHES:
        s3.upload_demo(batch)
    return s3


def run(data_dir, *args, stdin=None):
    return subprocess.run([str(APP), "--data-dir", str(data_dir), *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_pull_needs_the_keyring_secret_then_fetches_verifies_and_resumes(s3, tmp_path):
    name = f"clinic-minio-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    sources.write_text(s3.source(name, concurrency=8))
    data = tmp_path / "data"
    pull = ("pull", "--source", name, "--sources", str(sources), "--json")

    refused = run(data, *pull)
    assert refused.returncode != 0
    error = json.loads(refused.stderr)
    assert error["code"] == "source" and name in error["message"] and "keyring" in error["message"]

    stored = run(data, "source", "set-secret", name, stdin=harness.SECRET + "\n")
    assert stored.returncode == 0, stored.stderr

    first = run(data, *pull, "--progress")
    assert first.returncode == 0, first.stderr
    # The last progress line, as a terminal shows it: every download counted (the one
    # whose checksum then fails among them), the bytes, a rate.
    last = first.stderr.splitlines()[-1]
    assert re.search(r"\] 17/17 items .*MB/s", last), first.stderr
    report = json.loads(first.stdout)
    assert report["batches"] == 2
    # The chest batch's 10 and the quarantine's 6 that pass the checks before a download.
    assert report["fetched"] == 16, report
    failed = {f["key"]: f["reason"] for f in report["failed"]}
    assert "checksum mismatch" in failed["wrong-checksum.dcm"]
    assert "'..'" in failed["../escape.dcm"]
    assert "not a readable DICOM file" in failed["truncated.dcm"]
    assert "above the limit" in failed["bomb.png"]
    assert "empty object" in failed["zero-bytes.png"]

    rows = json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]
    chest = next(r for r in rows if r["key"] == "cr-0001.dcm")
    assert chest["state"] == "new" and chest["frames"] == 1

    again = json.loads(cli(data, *pull))
    assert (again["fetched"], again["added"]) == (0, 0)
    assert again["cached"] == 16


def test_an_unknown_source_names_the_sources_file(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "other"\ntype = "folder"\npath = "/nonexistent"\n')
    result = run(tmp_path / "data", "pull", "--source", "missing", "--sources", str(sources), "--json")
    assert result.returncode != 0
    error = json.loads(result.stderr)
    assert error["code"] == "source" and "no such source" in error["message"]


@pytest.mark.usefixtures("plaintext_store")
def test_a_model_in_the_bucket_is_installed_and_reads_the_pulled_items(s3, tmp_path):
    """A site publishes its own model under models/; the next pull installs it and the
    queue runs it on every image."""
    demo = harness.ROOT / "models" / "demo-spots"
    manifest = (demo / "model.toml").read_text().replace('id = "demo-spots"', 'id = "site-spots"')
    s3.put("models/site-spots/model.toml", manifest.encode())
    s3.put("models/site-spots/model.onnx", (demo / "model.onnx").read_bytes())
    name = f"site-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    sources.write_text(s3.source(name))
    data = tmp_path / "data"
    s3.give_secret(APP, name)

    report = json.loads(cli(data, "pull", "--source", name, "--sources", str(sources), "--json"))
    assert report["models"] == [{"id": "site-spots", "version": "1.0.0", "outcome": {"state": "installed"}}]
    assert report["batches"] == 2  # models/ is not a tenant
    models = json.loads(cli(data, "models", "--json"))["models"]
    site = next(m for m in models if m["id"] == "site-spots")
    assert site["usable"] and site["check"] == "verified"

    cli(data, "assess")
    rows = json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]
    assessed = [r for r in rows if r["state"] != "error"]
    assert assessed and all(r["local_finding"] is not None for r in assessed)
    stamped = {m for (m,) in harness_query(data, "SELECT DISTINCT model_id FROM assessments WHERE kind = 'diagnosis'")}
    assert "site-spots" in stamped


def harness_query(data_dir, sql):
    with sqlite3.connect(data_dir / "catalogue.sqlite3") as db:
        return db.execute(sql).fetchall()
