"""The admin adds a MinIO/S3 source on the Sources screen (its secret goes to the real OS
keyring), pulls with the progress bar, and a doctor reviews a pulled item."""

import json
import subprocess
import uuid

import harness
from conftest import APP, cli

BATCH = "clinic-a/2026-11-20-cr-0001"
LATER = "clinic-b/2026-11-22-us-0003"


def test_add_a_source_pull_it_in_the_app_and_review_what_arrived(launch, tmp_path, shots, s3):
    s3.upload_demo(BATCH)

    name = f"clinic-minio-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    data = tmp_path / "data"
    app = launch(data, ["--sources", str(sources)], ready="header")
    app.click("button.sources-button")
    app.wait_for("section.sources")
    # The list arrives after the screen opens.
    app.wait_until(lambda: "No source yet" in app.text("section.sources"), "the empty sources list")

    app.click("button.add")
    app.type_into("input[name=name]", name)
    app.type_into("input[name=endpoint]", s3.url)
    app.type_into("input[name=bucket]", "captures")
    app.type_into("input[name=access_key_id]", harness.ACCESS_KEY)
    app.type_into("input[name=secret]", harness.SECRET)
    shots(app, "add-source")
    app.click("form.form button[type=submit]")
    row = f'li[data-source="{name}"]'
    app.wait_for(row)

    written = sources.read_text()
    assert name in written and "captures" in written
    assert "demo-secret" not in written, "the secret goes to the keyring, never the file"

    app.click(f"{row} button.pull")
    done = app.wait_until(lambda: app.text(f"{row} .status.done"), "the pull to finish", timeout=120)
    assert "10 new items" in done, done
    shots(app, "pulled")
    assert "10 new items" in app.text("p.notice")

    app.click("button.sources-button")
    app.wait_until(lambda: app.text("h1") == "Doctor worklist", "the worklist")
    app.wait_for("tr[data-index='0']")
    rows = app.find_all("tr[data-item]")
    assert len(rows) == 10
    app.keys("Enter")
    app.wait_for("[data-testid=window-readout]")
    app.keys("1")
    app.wait_until(lambda: json.loads(cli(data, "verdicts", "--json")), "the verdict to land")
    verdict = json.loads(cli(data, "verdicts", "--json"))[0]
    assert verdict["item"]["tenant"] == "clinic-a" and verdict["decision"] == "agree"
    shots(app, "reviewed")

    # Edit keeps the name and the keyring secret: a second pull still signs in.
    app.click("button.sources-button")
    app.click(f"{row} button.edit")
    assert app.script("return document.querySelector('input[name=name]').readOnly")
    assert app.script("return document.querySelector('input[name=endpoint]').value") == s3.url
    app.type_into("input[name=tenants]", "clinic-a")
    app.click("form.form button[type=submit]")
    app.wait_until(lambda: 'tenants = ["clinic-a"]' in sources.read_text(), "the edit to be saved")
    app.click(f"{row} button.pull")
    again = app.wait_until(lambda: (text := app.text(f"{row} .status.done")) != done and text,
                           "the second pull", timeout=120)
    assert "0 new items" in again and "10 already here" in again, again

    # Remove asks twice, then drops the source and its secret; the items stay.
    app.click(f"{row} button.remove")
    assert app.text(f"{row} button.remove") == "Remove: sure?"
    app.click(f"{row} button.remove")
    app.wait_until(lambda: not app.find_all(row), "the source to go")
    assert name not in sources.read_text()
    sources.write_text(s3.source(name))
    refused = subprocess.run([str(APP), "--data-dir", str(tmp_path / "other"), "pull", "--source", name,
                              "--sources", str(sources), "--json"], capture_output=True, text=True)
    assert "keyring" in json.loads(refused.stderr)["message"], "the secret left the keyring"
    assert len(json.loads(cli(data, "items", "--role", "doctor", "--json"))["rows"]) == 10


def test_the_app_lists_its_sources_periodically_and_announces_new_batches(launch, tmp_path, shots, s3):
    s3.upload_demo(BATCH)
    name = f"clinic-poll-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.toml"
    # Every 3 s (0.05 min), so the test sees two rounds.
    sources.write_text("[cache]\npoll_minutes = 0.05\n\n" + s3.source(name))
    s3.give_secret(APP, name)
    data = tmp_path / "data"

    app = launch(data, ["--sources", str(sources)], ready="header")
    first = app.wait_until(lambda: app.text("p.notice"), "the pull at start", timeout=60)
    assert f"10 new items from {name}" in first
    app.wait_until(lambda: len(app.find_all("tr[data-item]")) == 10, "the worklist to show them")
    app.wait_until(lambda: not app.find_all("span.pulling"), "the header's pull indicator to clear")

    s3.upload_demo(LATER)
    app.wait_until(lambda: len(app.find_all("tr[data-item]")) == 20, "the next round to bring the batch",
                   timeout=60)
    assert "10 new items" in app.text("p.notice")
    shots(app, "announced")
