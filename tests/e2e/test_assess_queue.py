"""The pre-assessment queue from the shell: `secondread assess` killed part-way resumes
without redoing finished jobs, and a job that fails marks its item only."""

import json
import os
import signal
import sqlite3
import subprocess
import time

import numpy as np
import pytest
from conftest import APP, cli
from PIL import Image

ITEMS = 120

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
