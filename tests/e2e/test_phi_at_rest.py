"""PHI at rest, in the real app: after a coder's session on the demo documents (the
workstation reads them, text layer and OCR, and suggests codes; a letter is opened on the
coder's screen; a decision is noted with the patient's name),
neither the data dir, nor the temp dir, nor the webview's own cache and data dirs hold
the synthetic patients' names or a report phrase, in plain, UTF-16 or base64 form. The
same scan over a store kept unencrypted (the test-only switch) finds them, so the scan
itself is shown to work."""

import base64
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from conftest import DEMO, cli
from test_review import CANVAS, PAINTED, switch_role

IDENTIFIER = "health.secondread.workstation"
DOCS = "clinic-a/2026-11-24-docs-0006"
NAMES = ["Alpha Testpatient", "Charlie Fakename"]
PHRASE = "community-acquired pneumonia"
NOTE = f"{NAMES[0]}: {PHRASE} confirmed"


def forms(needle):
    plain = needle.encode()
    # Base64 of the text at each of its three alignments, less the edge characters
    # that depend on the bytes around it.
    b64 = [base64.b64encode(b"\0" * shift + plain)[4:-4] for shift in range(3)]
    return [plain, needle.encode("utf-16-le"), *b64]


def holding(roots, since, skip):
    """(file, needle) for each file under `roots`, changed since `since`, holding a needle."""
    needles = {n: forms(n) for n in [*NAMES, PHRASE]}
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
            for name in filenames:
                path = Path(dirpath, name)
                try:
                    if path.is_symlink() or path.stat().st_mtime < since:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                found += [(str(path), n) for n, fs in needles.items() if any(f in data for f in fs)]
    return found


def webview_dirs():
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    cache = Path(os.environ.get("XDG_CACHE_HOME", home / ".cache"))
    return [data / IDENTIFIER, cache / IDENTIFIER]


def coding_bucket(root):
    shutil.copytree(DEMO / DOCS, root / DOCS)
    return root


def test_a_coders_session_leaves_no_name_or_phrase_readable_anywhere(launch, tmp_path, shots):
    since = time.time()
    bucket = coding_bucket(tmp_path / "bucket")
    data = tmp_path / "data"
    cli(data, "import", str(bucket))
    # The documents are read (text layer, OCR) and coded here first: the worklist then
    # shows the codes as it opens, without racing the app's own queue.
    cli(data, "assess")

    app = launch(data, ready="h1")
    switch_role(app, "coder")
    app.wait_until(lambda: "J18.9" in (app.text("tr[data-index='0'] [data-testid=local-codes]") or ""),
                   "the first letter's codes", timeout=30)
    app.keys("Enter")
    app.wait_for(CANVAS)
    app.wait_until(lambda: app.script(PAINTED) > 50, "the page painted")
    shots(app, "letter")
    app.quit()
    first = json.loads(cli(data, "items", "--role", "coder", "--json"))["rows"][0]
    cli(data, "decide", str(first["id"]), "--role", "coder", "--accept", "J18.9", "--note", NOTE)

    found = holding([data, tempfile.gettempdir(), *webview_dirs()], since, skip={bucket, Path("/proc")})
    assert found == [], f"PHI readable at rest: {found}"

    # The control: the same scan over a store kept unencrypted finds the note's name and
    # phrase in the catalogue.
    plain = tmp_path / "plain"
    os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"] = "1"
    try:
        cli(plain, "import", str(bucket))
        item = json.loads(cli(plain, "items", "--role", "coder", "--json"))["rows"][0]
        cli(plain, "decide", str(item["id"]), "--role", "coder", "--accept", "J18.9", "--note", NOTE)
    finally:
        del os.environ["SECONDREAD_UNENCRYPTED_FOR_TESTS"]
    seen = {needle for _, needle in holding([plain], since, skip=set())}
    assert {NAMES[0], PHRASE} <= seen, seen
