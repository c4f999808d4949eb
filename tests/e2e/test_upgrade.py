"""A data dir that an earlier version left unencrypted, opened by this one in the real
app: while the first open encrypts it, the window says so and counts the files; then the
worklist opens with every item, and nothing of the earlier plaintext is left on disk."""

import hashlib
import json
import os
import re

from conftest import DEMO, cli

SQLITE_HEADER = b"SQLite format 3\0"
#: A large cache, as a clinic's would be after weeks: enough stored files that their
#: encryption outlasts the window's start by several seconds.
CACHED_FILES = 3000
CACHED_BYTES = 32 * 1024


def earlier_version(data):
    """The demo imported unencrypted (what the previous version wrote), its cache padded
    with more stored files, each named by its content's sha256 as the cache names them."""
    os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"] = "1"
    try:
        cli(data, "import", str(DEMO))
        items = json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]
    finally:
        del os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"]
    for n in range(CACHED_FILES):
        content = n.to_bytes(4, "big") * (CACHED_BYTES // 4)
        sha = hashlib.sha256(content).hexdigest()
        shard = data / "blobs" / sha[:2]
        shard.mkdir(parents=True, exist_ok=True)
        (shard / sha).write_bytes(content)
    return items


def plaintext_blobs(data):
    """Cache files still readable as they were: their content hashes to their name."""
    return [path for path in (data / "blobs").glob("*/*")
            if hashlib.sha256(path.read_bytes()).hexdigest() == path.name]


def test_the_window_shows_an_earlier_versions_data_being_encrypted_then_the_worklist(launch, tmp_path, shots):
    data = tmp_path / "data"
    before = earlier_version(data)
    assert (data / "catalogue.sqlite3").read_bytes()[:16] == SQLITE_HEADER
    assert len(plaintext_blobs(data)) > CACHED_FILES

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

    assert (data / "catalogue.sqlite3").read_bytes()[:16] != SQLITE_HEADER
    assert plaintext_blobs(data) == []
    assert not (data / "blobs" / ".sealing").exists()
