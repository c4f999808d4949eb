"""A pull that is killed, or that fills the disk, keeps what it stored and finishes on the
next run without fetching finished objects again; no torn blob is ever used."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import harness
import pytest
from conftest import APP, cli

OBJECTS = 240

# These tests tell a torn blob by hashing the stored files themselves, so the store is
# kept unencrypted; a sealed blob's integrity is tested in crates/catalog/tests/at_rest.rs.
pytestmark = pytest.mark.usefixtures("plaintext_store")


def synthetic_capture(i, size):
    """Distinct bytes per capture (the cache is content-addressed). They are not DICOM: the
    probe reports each as unreadable, which these tests do not look at."""
    seed = hashlib.sha256(f"capture {i}".encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def blobs(data_dir):
    root = data_dir / "blobs"
    return sorted(p for p in root.glob("??/*") if p.is_file()) if root.exists() else []


def assert_whole(paths):
    for path in paths:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"torn blob {path}"


def test_kill_9_mid_pull_then_resume_fetches_only_what_is_missing(s3, tmp_path):
    files = [(f"img{i:04}.dcm", synthetic_capture(i, 200_000)) for i in range(OBJECTS)]
    s3.put_batch("clinic-a", "b1", files)

    name = f"resume-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    sources.write_text(s3.source(name, concurrency=4))
    data = tmp_path / "data"
    s3.give_secret(APP, name)
    pull = [str(APP), "--data-dir", str(data), "pull", "--source", name, "--sources", str(sources), "--json"]

    victim = subprocess.Popen(pull, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(blobs(data)) < 30:
        assert victim.poll() is None, f"the pull ended before it could be killed: {victim.stderr.read()}"
        assert time.monotonic() < deadline, "the pull made no progress"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()

    survived = blobs(data)
    assert 30 <= len(survived) < OBJECTS
    assert_whole(survived)

    report = json.loads(cli(data, "pull", "--source", name, "--sources", str(sources), "--json"))
    assert report["fetched"] == OBJECTS - len(survived), "finished objects are not fetched again"
    assert report["cached"] == len(survived)
    final = blobs(data)
    assert len(final) == OBJECTS
    assert_whole(final)
    rows = json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]
    assert len(rows) == OBJECTS


def test_a_full_disk_stops_the_pull_cleanly_and_keeps_what_was_stored(tmp_path):
    """The data dir sits on a 2 MiB tmpfs in a private mount namespace (unshare); the
    source is a folder, so the only thing that runs out is the cache's disk."""
    source_dir = tmp_path / "bucket"
    batch = source_dir / "clinic-a" / "b1"
    batch.mkdir(parents=True)
    files = [(f"img{i:02}.dcm", synthetic_capture(i, 300_000)) for i in range(12)]
    for key, body in files:
        (batch / key).write_bytes(body)
    (batch / "batch.json").write_bytes(harness.batch_manifest("clinic-a", "b1", files))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "scans"\ntype = "folder"\npath = "{source_dir}"\n')
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    app = str(APP)
    script = f"""
set -u
mount -t tmpfs -o size=2m tmpfs '{data}'
'{app}' --data-dir '{data}' pull --source scans --sources '{sources}' --json >'{out}/first.json' 2>'{out}/first.err'
echo $? >'{out}/first.rc'
find '{data}/blobs' -mindepth 2 -type f | wc -l >'{out}/kept'
mount -o remount,size=16m '{data}'
'{app}' --data-dir '{data}' pull --source scans --sources '{sources}' --json >'{out}/second.json' 2>'{out}/second.err'
echo $? >'{out}/second.rc'
find '{data}/blobs' -mindepth 2 -type f -exec sha256sum {{}} + >'{out}/sums'
"""
    env = dict(os.environ)
    env.pop("SECONDREAD_DATA_DIR", None)
    done = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr

    assert (out / "first.rc").read_text().strip() != "0"
    error = json.loads((out / "first.err").read_text())
    assert error["code"] == "disk_full", error
    assert "scans" in error["message"] and "kept" in error["message"], error

    kept = int((out / "kept").read_text())
    assert 1 <= kept < len(files), "some objects fit before the disk filled"
    assert (out / "second.rc").read_text().strip() == "0", (out / "second.err").read_text()
    second = json.loads((out / "second.json").read_text())
    assert second["fetched"] == len(files) - kept, second
    sums = [line.split() for line in (out / "sums").read_text().splitlines()]
    assert len(sums) == len(files)
    assert all(os.path.basename(path) == digest for digest, path in sums), "no torn blob"
    shutil.rmtree(data, ignore_errors=True)
