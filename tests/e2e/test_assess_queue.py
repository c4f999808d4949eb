"""The pre-assessment queue: `secondread assess` killed part-way resumes without redoing
finished jobs, a job that fails marks its item only, and in the app the queue's threads
run in the idle scheduling class while the reviewer's do not."""

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import harness
import numpy as np
import pytest
from conftest import APP, cli
from PIL import Image

ITEMS = 120
SCHED_OTHER, SCHED_IDLE = 0, 5

# These tests read the queue's tables themselves.
pytestmark = pytest.mark.usefixtures("plaintext_store")


def make_batch(root):
    """A folder of distinct synthetic photos laid out like the bucket (no batch.json)."""
    batch = root / "clinic-q" / "2026-11-26-queue-0001"
    batch.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for n in range(ITEMS):
        pixels = rng.integers(0, 255, (384, 384, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(batch / f"img-{n:04d}.png")
    return root


def jobs_per_item(data_dir):
    """Capture quality, and one job per bundled diagnosis model."""
    models = json.loads(cli(data_dir, "models", "--json"))["models"]
    return 1 + sum(m["usable"] and m["task"] in ("classify", "detect", "segment") for m in models)


def query(data_dir, sql):
    with sqlite3.connect(data_dir / "catalogue.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_a_killed_queue_resumes_without_redoing_finished_jobs(tmp_path):
    data_dir = tmp_path / "data"
    cli(data_dir, "import", str(make_batch(tmp_path / "bucket")))
    per_item = jobs_per_item(data_dir)
    assert per_item == 3  # capture quality, demo-spots, demo-spots-det
    total = per_item * ITEMS

    run = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "assess", "--json"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 32:
        time.sleep(0.05)
        done = query(data_dir, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0]
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    done_before = query(data_dir, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0]
    assert 0 < done_before < total, done_before
    # A job is done exactly when its result is stored.
    stored = query(data_dir, "SELECT count(*) FROM assessments WHERE kind IN ('quality', 'diagnosis')")[0][0]
    assert stored == done_before

    report = json.loads(cli(data_dir, "assess", "--json"))
    assert report["ran"] == total - done_before and report["failed"] == 0, report
    assert report["queue"] == {"queued": 0, "done": total, "failed": 0}
    stored_per_item = query(data_dir, "SELECT item_id, count(*) FROM assessments "
                               "WHERE kind IN ('quality', 'diagnosis') GROUP BY item_id")
    assert len(stored_per_item) == ITEMS and all(n == per_item for _, n in stored_per_item)
    stamped = query(data_dir, "SELECT DISTINCT model_id, model_version, model_sha256 FROM assessments "
                              "WHERE kind = 'diagnosis' ORDER BY model_id")
    assert [m for m, _, _ in stamped] == ["demo-spots", "demo-spots-det"]
    assert all(len(sha) == 64 for _, _, sha in stamped)

    again = json.loads(cli(data_dir, "assess", "--json"))
    assert again["ran"] == 0


def test_a_file_damaged_on_disk_fails_its_own_jobs_only(tmp_path):
    data_dir = tmp_path / "data"
    cli(data_dir, "import", str(make_batch(tmp_path / "bucket")))
    [(item_id, sha256)] = query(data_dir, "SELECT id, blob_sha256 FROM items WHERE key = 'img-0005.png'")
    blob = data_dir / "blobs" / sha256[:2] / sha256
    blob.write_bytes(blob.read_bytes()[:200])

    per_item = jobs_per_item(data_dir)
    report = json.loads(cli(data_dir, "assess", "--json"))
    assert report["failed"] == per_item and report["ran"] == per_item * (ITEMS - 1), report
    failed = query(data_dir, "SELECT item_id, kind, error FROM jobs WHERE state = 'failed'")
    assert {i for i, _, _ in failed} == {item_id} and len(failed) == per_item
    assert all(error for _, _, error in failed)

    view = json.loads(cli(data_dir, "items", "--role", "doctor", "--json"))
    assert len(view["rows"]) == ITEMS


def threads(pid):
    """(name, scheduling policy) of each thread of a process, from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        # Field 41, counting from the pid: the policy.
        found.append((name, int(stat[stat.rindex(")") + 2:].split()[38])))
    return found


def test_the_queue_runs_behind_the_reviewer_and_the_reviewers_threads_do_not(launch, tmp_path):
    """While the app assesses 120 new items, the queue's thread and every thread it
    started (ONNX Runtime's pool, the per-core workers) are in the idle class; the
    window's, the frames' and the rest are not."""
    data_dir = tmp_path / "data"
    cli(data_dir, "import", str(make_batch(tmp_path / "bucket")))
    launch(data_dir)
    [pid] = harness.app_pids(data_dir)
    deadline = time.monotonic() + 60
    # The queue's thread, and at least one it started.
    while sum(name == "sr-assess" for name, _ in threads(pid)) < 2:
        assert time.monotonic() < deadline, f"the queue's workers never started: {threads(pid)}"
        time.sleep(0.05)
    snapshot = threads(pid)
    shown = ", ".join(f"{name}:{policy}" for name, policy in snapshot)
    assert {policy for name, policy in snapshot if name == "sr-assess"} == {SCHED_IDLE}, shown
    # Nothing else runs in the idle class: neither the window's and the frames' threads
    # (named after the app) nor helpers the queue happened to start first (the keyring's
    # D-Bus connection serves sign-in and sync too). WebKit's and GLib's own threads keep
    # whatever class they chose.
    assert [name for name, policy in snapshot if policy == SCHED_IDLE and name != "sr-assess"] == [], shown
    reviewers = {policy for name, policy in snapshot if name in ("secondread", "tokio-runtime-w")}
    assert reviewers == {SCHED_OTHER}, shown
