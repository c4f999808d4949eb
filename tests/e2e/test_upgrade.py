"""A data dir that an earlier version left unencrypted, opened by this one: a first open
killed (-9) in the middle of encrypting it, then the real app, which carries on from
there. While it does, the window says so and counts the files; then the worklist opens
with every item, and nothing of the earlier plaintext is left on disk."""

import hashlib
import json
import os
import re
import signal
import subprocess
import time

from conftest import APP, DEMO, cli

SQLITE_HEADER = b"SQLite format 3\0"
#: A large cache, as a clinic's would be after weeks: enough stored files that their
#: encryption outlasts the window's start by several seconds.
CACHED_FILES = 3000
CACHED_BYTES = 32 * 1024


def earlier_version(data):
    """The demo imported unencrypted (what the previous version wrote), one item decided,
    the cache padded with more stored files, each named by its content's sha256 as the
    cache names them."""
    os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"] = "1"
    try:
        cli(data, "import", str(DEMO))
        items = json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]
        cli(data, "decide", str(items[0]["id"]), "--role", "doctor", "--decision", "agree", "--note", "seen before")
    finally:
        del os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"]
    for n in range(CACHED_FILES):
        content = n.to_bytes(4, "big") * (CACHED_BYTES // 4)
        sha = hashlib.sha256(content).hexdigest()
        shard = data / "blobs" / sha[:2]
        shard.mkdir(parents=True, exist_ok=True)
        (shard / sha).write_bytes(content)
    return items


def plaintext_catalogue(data):
    with open(data / "catalogue.sqlite3", "rb") as f:
        return f.read(16) == SQLITE_HEADER


def plaintext_blobs(data):
    """Cache files still readable as they were: their content hashes to their name."""
    return [path for path in (data / "blobs").glob("*/*")
            if hashlib.sha256(path.read_bytes()).hexdigest() == path.name]


def killed_while_encrypting(data):
    """Starts a verb on the data dir and kills it (-9) once the catalogue is encrypted and
    the cache's files are being sealed: the middle of the encryption."""
    verb = subprocess.Popen([str(APP), "--data-dir", str(data), "items", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while plaintext_catalogue(data) and verb.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    verb.send_signal(signal.SIGKILL)
    verb.wait()
    assert verb.returncode == -signal.SIGKILL, "the encryption ended before the kill"


def test_an_interrupted_encryption_carries_on_in_the_window_then_shows_the_worklist(launch, tmp_path, shots):
    data = tmp_path / "data"
    before = earlier_version(data)
    assert plaintext_catalogue(data)
    assert len(plaintext_blobs(data)) > CACHED_FILES

    killed_while_encrypting(data)
    assert (data / "blobs" / ".sealing").exists()
    assert len(plaintext_blobs(data)) > CACHED_FILES / 2, "most of the cache is left for the window"

    app = launch(data, ready="[data-testid=encrypting-count]")
    count = app.text("[data-testid=encrypting-count]")
    shots(app, "encrypting")
    done, total = (int(n.replace(",", "")) for n in re.match(r"([\d,]+) of ([\d,]+) files", count).groups())
    assert total > CACHED_FILES and done <= total, count
    assert "Encrypting this workstation's data" in app.text("[data-testid=encrypting] h1")

    app.wait_for("tr[data-item]", timeout=120)
    assert app.find_all("[data-testid=encrypting]") == []
    assert len(app.find_all("tr[data-item]")) == len(before), "every item is still there"
    shots(app, "worklist")

    app.quit()
    [verdict] = json.loads(cli(data, "verdicts", "--json"))
    assert (verdict["item"]["key"], verdict["note"]) == (before[0]["key"], "seen before"), verdict
    assert not plaintext_catalogue(data)
    assert plaintext_blobs(data) == []
    assert not (data / "blobs" / ".sealing").exists()
