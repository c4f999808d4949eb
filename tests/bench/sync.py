"""`make bench`, sync: 10,000 queued verdicts sent to the reference review API (over
PostgreSQL, bearer JWTs checked against the realm's JWKS), all on 127.0.0.1.

SecondRead: `secondread sync` from a data dir holding 10,000 pending verdicts: reading
the outbox, posting batches of 500, settling each answer in the catalogue, and sending
the audit trail that the decisions wrote, alongside. Its figure is the sync's own time
as it reports it, the access token's renewal included: what the app's Sync waits. The
process's whole run (start, keyring, catalogue) is printed beside it.
Peer: a bare Python client with no outbox of its own posting the same requests to a
fresh database: the same verdict bodies and the same audit trail, in the same batches,
the two alongside each other as the sync sends them (requests, one keep-alive connection
each), its access token fetched in its time. That is the floor the API and database set.
Then the kill test: a sync killed with SIGKILL part-way and run again stores each
verdict exactly once. Target: <= 10 s for 10,000, and >= 0.9x the peer's throughput.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "stack"))
sys.path.insert(0, str(HERE.parent / "e2e"))
import stack as platform  # noqa: E402
from harness import audit_hash  # noqa: E402

ROOT = platform.ROOT
# `make bench` builds release; SECONDREAD_BENCH_PROFILE=debug measures a debug build.
PROFILE = os.environ.get("SECONDREAD_BENCH_PROFILE", "release")
APP = ROOT / "target" / PROFILE / "secondread"
API = ROOT / "target" / PROFILE / "sr-review-api"
COUNT = 10_000
BATCH = 500
TARGET_S = 10.0
TARGET_RATIO = 0.9


def app(data_dir, settings, *args, check=True):
    result = subprocess.run([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), *args],
                            capture_output=True, text=True, timeout=1800)
    if check and result.returncode != 0:
        raise SystemExit(f"secondread {' '.join(args)} failed: {result.stderr}")
    return result


def login(data_dir, settings, username):
    proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "login",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stderr.readline().split(": ", 1)[1].strip()
    platform.sign_in(url, username, platform.password_of(username))
    proc.communicate(timeout=60)


def queued_data_dir(base, settings, username):
    """A data dir with COUNT imaging items, each decided once: COUNT pending verdicts."""
    folder = base / "bulk" / "clinic-a" / "2026-12-01-sync-bench"
    folder.mkdir(parents=True)
    for i in range(COUNT):
        Image.new("L", (8, 8), i % 256).save(folder / f"img-{i:05}.png")
    data_dir = base / "data"
    app(data_dir, settings, "import", str(base / "bulk"))
    login(data_dir, settings, username)
    rows = json.loads(app(data_dir, settings, "items", "--role", "doctor", "--json").stdout)["rows"]
    ids = [str(r["id"]) for r in rows]
    for start in range(0, len(ids), 2000):
        app(data_dir, settings, "decide", *ids[start:start + 2000], "--role", "doctor", "--decision", "agree")
    return data_dir


def audit_trail(data_dir, settings):
    """The trail `secondread sync` sends, as the wire carries it (`detail` as JSON text),
    its hashes made again by the contract's rule so that the peer's chain holds."""
    records = json.loads(app(data_dir, settings, "audit", "--json").stdout)
    prev = records[0]["prev_hash"]
    for record in records:
        record["detail"] = None if record["detail"] is None else json.dumps(record["detail"], separators=(",", ":"))
        record["prev_hash"] = prev
        record["hash"] = prev = audit_hash(record)
    return records


def fresh_database(stack):
    """Nothing stored: every run sends and stores the verdicts and the audit trail anew."""
    stack.postgres.sql("TRUNCATE verdicts, audit_records")


def stored(stack):
    return int(stack.postgres.sql("SELECT count(*) FROM verdicts")), \
        int(stack.postgres.sql("SELECT count(DISTINCT (tenant, batch, item_key)) FROM verdicts"))


def audit_stored(stack):
    return int(stack.postgres.sql("SELECT count(*) FROM audit_records"))


def peer(stack, verdicts, trail, username):
    def send(path, field, bodies):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for i in range(0, len(bodies), BATCH):
            answer = session.post(f"{stack.api.url}{path}", json={field: bodies[i:i + BATCH]}, timeout=120)
            answer.raise_for_status()

    start = time.monotonic()
    token = stack.tokens(username)["access_token"]
    with ThreadPoolExecutor(2) as pool:
        sent = [pool.submit(send, "/v1/verdicts", "verdicts", verdicts),
                pool.submit(send, "/v1/audit", "records", trail)]
        for each in sent:
            each.result()
    return time.monotonic() - start


def main():
    base = Path(tempfile.mkdtemp(prefix="sr-bench-sync-"))
    try:
        with platform.Stack(binary=API) as stack:
            settings = stack.platform_toml(base / "platform.toml")
            print(f"preparing {COUNT} queued verdicts…", flush=True)
            data_dir = queued_data_dir(base, settings, "dana")
            pristine = base / "pristine"
            shutil.copytree(data_dir, pristine)
            # Read after the copy: reading the trail adds to it.
            trail = audit_trail(data_dir, settings)
            bodies = json.loads(app(data_dir, settings, "verdicts", "--json").stdout)
            assert len(bodies) == COUNT

            results = {"secondread": [], "process": [], "peer": []}
            for _run in range(3):
                fresh_database(stack)
                shutil.rmtree(data_dir)
                shutil.copytree(pristine, data_dir)
                start = time.monotonic()
                report = json.loads(app(data_dir, settings, "sync", "--json").stdout)
                results["process"].append(time.monotonic() - start)
                results["secondread"].append(report["took_ms"] / 1000)
                assert report["accepted"] == COUNT and report["pending"] == 0, report
                assert report["audit_records"] == len(trail), (report, len(trail))
                assert stored(stack) == (COUNT, COUNT)

                fresh_database(stack)
                results["peer"].append(peer(stack, bodies, trail, "dana"))
                assert stored(stack) == (COUNT, COUNT) and audit_stored(stack) == len(trail)

            # A kill part-way, then a retry: every verdict stored once.
            fresh_database(stack)
            shutil.rmtree(data_dir)
            shutil.copytree(pristine, data_dir)
            proc = subprocess.Popen([str(APP), "--data-dir", str(data_dir), "--platform", str(settings), "sync",
                                     "--batch-size", "100"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while stored(stack)[0] < COUNT // 3 and proc.poll() is None:
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            at_kill = stored(stack)[0]
            retry = json.loads(app(data_dir, settings, "sync", "--json").stdout)
            total, distinct = stored(stack)
            duplicates = total - distinct

        ours, theirs, process = min(results["secondread"]), min(results["peer"]), min(results["process"])
        print(f"sync of {COUNT} verdicts and {len(trail)} audit records in batches of {BATCH} "
              "(best of 3, same API and database):")
        print(f"  SecondRead `secondread sync`, the sync: {ours:.2f} s ({COUNT / ours:,.0f} verdicts/s)")
        print(f"    the whole process (start, keyring, catalogue, sync): {process:.2f} s")
        print(f"  peer (bare Python requests client, no outbox, same requests): {theirs:.2f} s ({COUNT / theirs:,.0f} verdicts/s)")
        print(f"  ratio SecondRead / peer throughput: {theirs / ours:.2f}x "
              f"(target >= {TARGET_RATIO}x: {'met' if theirs / ours >= TARGET_RATIO else 'NOT met'}); "
              f"the whole process: {theirs / process:.2f}x")
        print(f"  target <= {TARGET_S:.0f} s: {'met' if ours <= TARGET_S else 'NOT met'}")
        print(f"  kill -9 after {at_kill} stored, then sync again: {retry['accepted']} accepted, "
              f"{retry['duplicates']} answered duplicate; server holds {total} verdicts, {duplicates} duplicates")
        if duplicates or total != COUNT:
            raise SystemExit("duplicates or losses after the kill")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
