"""Starting and stopping the real pieces on this machine: Xvfb, WebKitWebDriver, the CLI,
an S3 server with a bucket."""

import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def start_xvfb(size="1280x800x24"):
    """Returns (process, display) for a private X server."""
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            xvfb.kill()
            raise TimeoutError("Xvfb did not start")
        time.sleep(0.1)
    return xvfb, f":{number}"


def start_webdriver(display):
    """Returns (process, url) for WebKitWebDriver on a free loopback port."""
    port = free_port()
    env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true")
    driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return driver, f"http://127.0.0.1:{port}"


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def cli(app, data_dir, *args):
    """Runs a headless verb of the app binary; returns its stdout."""
    result = subprocess.run([str(app), "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"secondread {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def app_pids(data_dir):
    """The app process started on this data dir."""
    found = subprocess.run(["pgrep", "-f", f"secondread --data-dir {data_dir}"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def start_moto():
    """Returns (process, endpoint URL) for an S3 server (moto) on a free loopback port."""
    port = free_port()
    moto = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, timeout=60)
    return moto, f"http://127.0.0.1:{port}"


# Any credentials open moto's buckets; these are the ones the sources name.
ACCESS_KEY, SECRET = "AKIDEMO", "demo-secret"
DEMO = ROOT / "target" / "demo-data"

AUDIT_HASHED = ("prev_hash", "uuid", "at", "actor_subject", "actor_username", "workstation", "action", "item_id",
                "tenant", "item_sha256", "detail")


def audit_hash(record):
    """An audit record's hash from the contract's words alone (AuditEntry's description):
    sha256 over the fields, each preceded by its length as a big-endian u64."""
    hasher = hashlib.sha256()
    for name in AUDIT_HASHED:
        value = record[name]
        field = b"" if value is None else str(value).encode()
        hasher.update(len(field).to_bytes(8, "big") + field)
    return hasher.hexdigest()


def batch_manifest(tenant, batch, files):
    """A batch's `batch.json` for (key, bytes) pairs, each with its sha256 and size."""
    items = [{"key": k, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for k, b in files]
    return json.dumps({"schema": "secondread.batch/1", "batch_id": batch, "tenant": tenant,
                       "kind": "imaging", "items": items}).encode()


class S3Bucket:
    """A real S3 server (moto) on a free loopback port holding one empty bucket, stopped
    when the `with` block ends."""

    def __init__(self, bucket="captures"):
        self.bucket = bucket

    def __enter__(self):
        self.process, self.url = start_moto()
        try:
            self.client = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET)
            self.client.create_bucket(Bucket=self.bucket)
        except BaseException:
            stop(self.process)
            raise
        return self

    def __exit__(self, *exc):
        stop(self.process)

    def put(self, key, body):
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def upload_demo(self, batch):
        """A demo batch (`tenant/batch`, manifest included) under the same keys."""
        for path in sorted((DEMO / batch).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                self.client.upload_file(str(path), self.bucket, f"{batch}/{path.name}")

    def put_batch(self, tenant, batch, files):
        """(key, bytes) pairs under `tenant/batch/`, then their manifest; `files` may be
        a generator, so that a large batch is never held in memory whole."""
        def uploaded():
            for key, body in files:
                self.put(f"{tenant}/{batch}/{key}", body)
                yield key, body
        self.put(f"{tenant}/{batch}/batch.json", batch_manifest(tenant, batch, uploaded()))

    def source(self, name, **settings):
        """The `[[source]]` entry of a sources file that reads this bucket."""
        fields = {"name": name, "type": "s3", "endpoint": self.url, "region": "us-east-1",
                  "bucket": self.bucket, "access_key_id": ACCESS_KEY, **settings}
        return "[[source]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in fields.items())

    def give_secret(self, app, name):
        """Stores the bucket's secret for source `name` in the OS keyring, as an admin does."""
        subprocess.run([str(app), "source", "set-secret", name], input=SECRET + "\n", text=True, check=True,
                       capture_output=True)
