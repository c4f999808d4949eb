"""`secondread pull` against a real S3 server (moto) with the secret in the real OS keyring
(gnome-keyring in the private D-Bus session `make e2e` starts)."""

import json
import re
import sqlite3
import subprocess
import uuid

import boto3
import harness
import pytest
from conftest import APP, DEMO, cli

BATCHES = ["clinic-a/2026-11-20-cr-0001", "hospital-c/2026-11-23-quarantine-0005"]


@pytest.fixture
def s3():
    moto, url = harness.start_moto()
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="AKIDEMO", aws_secret_access_key="demo-secret")
    client.create_bucket(Bucket="captures")
    for batch in BATCHES:
        for path in sorted((DEMO / batch).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                client.upload_file(str(path), "captures", f"{batch}/{path.name}")
    yield url
    harness.stop(moto)


def run(data_dir, *args, stdin=None):
    return subprocess.run([str(APP), "--data-dir", str(data_dir), *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_pull_needs_the_keyring_secret_then_fetches_verifies_and_resumes(s3, tmp_path):
    name = f"clinic-minio-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "{name}"\ntype = "s3"\nendpoint = "{s3}"\nregion = "us-east-1"\n'
        f'bucket = "captures"\naccess_key_id = "AKIDEMO"\nconcurrency = 8\n'
    )
    data = tmp_path / "data"
    pull = ("pull", "--source", name, "--sources", str(sources), "--json")

    refused = run(data, *pull)
    assert refused.returncode != 0
    error = json.loads(refused.stderr)
    assert error["code"] == "source" and name in error["message"] and "keyring" in error["message"]

    stored = run(data, "source", "set-secret", name, stdin="demo-secret\n")
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
    client = boto3.client("s3", endpoint_url=s3, region_name="us-east-1",
                          aws_access_key_id="AKIDEMO", aws_secret_access_key="demo-secret")
    demo = harness.ROOT / "models" / "demo-spots"
    manifest = (demo / "model.toml").read_text().replace('id = "demo-spots"', 'id = "site-spots"')
    client.put_object(Bucket="captures", Key="models/site-spots/model.toml", Body=manifest.encode())
    client.upload_file(str(demo / "model.onnx"), "captures", "models/site-spots/model.onnx")
    name = f"site-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "{name}"\ntype = "s3"\nendpoint = "{s3}"\nregion = "us-east-1"\n'
        f'bucket = "captures"\naccess_key_id = "AKIDEMO"\n'
    )
    data = tmp_path / "data"
    assert run(data, "source", "set-secret", name, stdin="demo-secret\n").returncode == 0

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
