"""`make bench`, pull: SecondRead against rclone (Debian's) on the same S3 server in the
same run: moto_server on 127.0.0.1 holding 1,000 objects of 50 KB and 20 of 20 MB in
memory. rclone: `copy --transfers 32`; SecondRead: its pull with 32 requests in flight,
verifying each sha256 and writing the content-addressed cache with fsync, into a fresh
data dir each run. Best of three runs each, interleaved. SecondRead pulls twice a run:
into an encrypted data dir (as every workstation keeps it) and an unencrypted one (the
test-only switch), so that encryption's cost is measured against its own peer (target:
within 10 %).

s3s-fs is not the server here: rclone 1.60 stalls on it (a 500 after ~40 s per listing).
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import harness

ROOT = harness.ROOT
APP = ROOT / "target" / "release" / "secondread"
SMALL, LARGE = (1000, 50_000), (20, 20_000_000)
RUNS = 3


def synthetic_objects():
    for count, size in (SMALL, LARGE):
        for i in range(count):
            yield f"obj-{size}-{i:04}.dcm", os.urandom(size)


def timed(command, **kwargs):
    start = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr[-2000:]}")
    return time.monotonic() - start


def main():
    work = Path(tempfile.mkdtemp(prefix="secondread-pull-bench-"))
    stack = contextlib.ExitStack()
    try:
        s3 = stack.enter_context(harness.S3Bucket())
        s3.put_batch("clinic-a", "bench-0001", synthetic_objects())
        total = SMALL[0] * SMALL[1] + LARGE[0] * LARGE[1]
        endpoint = s3.url

        name = f"bench-{uuid.uuid4().hex[:8]}"
        sources = work / "sources.toml"
        sources.write_text(s3.source(name, concurrency=32))
        s3.give_secret(APP, name)
        rclone_env = dict(os.environ, RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other",
                          RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=harness.ACCESS_KEY,
                          RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=harness.SECRET,
                          RCLONE_CONFIG_BENCH_ENDPOINT=endpoint, RCLONE_CONFIG_BENCH_REGION="us-east-1",
                          RCLONE_CONFIG="/dev/null")
        # rclone's S3 client refuses AWS_CA_BUNDLE over plain HTTP; there is no TLS here.
        rclone_env.pop("AWS_CA_BUNDLE", None)

        ours, plain, theirs = [], [], []
        for run in range(RUNS):
            dest = work / f"rclone-{run}"
            theirs.append(timed(["rclone", "copy", "--transfers", "32", "--checkers", "32",
                                 "bench:captures/clinic-a", str(dest)], env=rclone_env))
            copied = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
            assert copied >= total, f"rclone copied {copied} of {total} bytes"
            shutil.rmtree(dest)

            for times, mode in ((ours, []), (plain, ["--unencrypted-for-tests"])):
                data = work / f"data-{run}"
                start = time.monotonic()
                report = json.loads(harness.cli(APP, data, "--demo", *mode, "pull", "--source", name,
                                                "--sources", str(sources), "--json"))
                times.append(time.monotonic() - start)
                assert report["fetched_bytes"] == total, report["fetched_bytes"]
                shutil.rmtree(data)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)

    best_ours, best_plain, best_theirs = min(ours), min(plain), min(theirs)
    mb = total / 1e6
    print(f"pull: {SMALL[0]} × 50 KB + {LARGE[0]} × 20 MB ({mb:.0f} MB) from moto_server on 127.0.0.1, best of {RUNS}")
    print(f"  SecondRead pull (32 in flight, sha256-verified, fsynced)  {best_ours:6.2f} s  {mb / best_ours:7.1f} MB/s")
    print(f"  peer: rclone copy --transfers 32                         {best_theirs:6.2f} s  {mb / best_theirs:7.1f} MB/s")
    print(f"  ratio (rclone time / SecondRead time): {best_theirs / best_ours:.2f}×  (target ≥ 1.0×, aim 1.5×)")
    print(f"  SecondRead pull into an unencrypted data dir               {best_plain:6.2f} s  "
          f"{mb / best_plain:7.1f} MB/s")
    print(f"  encryption's cost (encrypted time / unencrypted time): {best_ours / best_plain:.2f}×  (target ≤ 1.10×)")
    print(json.dumps({"pull_secondread_s": ours, "pull_unencrypted_s": plain, "pull_rclone_s": theirs}))


if __name__ == "__main__":
    main()
