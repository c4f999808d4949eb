"""End to end: the built app in WebKitGTK under Xvfb, driven over WebDriver."""

import json
import os
import signal
import time

import harness
import pytest
from conftest import cli
from PIL import Image

# Each role's first item, the key that decides it, and the decision that lands.
ROLES = {
    "doctor": {"heading": "Doctor worklist", "key": "1", "decision": "agree", "gray": True},
    "technician": {"heading": "Technician worklist", "key": "2", "decision": "blurry", "gray": True},
    "coder": {"heading": "Coder worklist", "key": "Enter", "decision": None, "gray": False},
}

CANVAS = "canvas[data-testid=viewer-canvas]"
PAINTED = """
const c = document.querySelector('canvas[data-testid=viewer-canvas]');
if (!c || !c.width) return 0;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let lit = 0;
for (let i = 0; i < d.length; i += 64) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
return lit;
"""


def switch_role(app, role):
    app.click(f'button[data-role="{role}"]')
    app.wait_until(lambda: app.text("h1") == ROLES[role]["heading"], f"{role} worklist")
    app.wait_for("tr[data-index='0']")


def first_row(app):
    return app.script(
        "const r = document.querySelector('tr[data-index=\"0\"]');"
        "return r && {id: Number(r.dataset.item), state: r.dataset.state, text: r.innerText};"
    )


def position(app):
    return app.text(".position")


def verdicts(data_dir):
    return json.loads(cli(data_dir, "verdicts", "--json"))


def test_a_long_worklist_is_drawn_in_full_and_its_last_row_reached_by_keyboard(launch, tmp_path, shots):
    """More rows than the first screenful drawn at once: the rest follow by themselves,
    and End reaches the last row."""
    batch = tmp_path / "bulk" / "clinic-a" / "2026-12-08-long"
    batch.mkdir(parents=True)
    for i in range(700):
        Image.new("L", (8, 8), i % 256).save(batch / f"img-{i:04}.png")
    data = tmp_path / "data"
    cli(data, "import", str(tmp_path / "bulk"))
    app = launch(data)
    app.wait_until(lambda: app.script("return document.querySelectorAll('tr[data-item]').length") == 700,
                   "every row drawn")
    app.keys("End")
    app.wait_until(lambda: app.script("return document.querySelector('tr.selected')?.dataset.index") == "699",
                   "the last row selected")
    shots(app, "end")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reviews_by_keyboard_and_the_decision_survives_a_restart(role, launch, data_dir, shots):
    case = ROLES[role]
    app = launch(data_dir)
    switch_role(app, role)
    shots(app, "worklist")
    first = first_row(app)
    assert first["state"] == "new"
    total = len(app.find_all("tr[data-item]"))

    app.keys("Enter")
    app.wait_for(CANVAS)
    app.wait_until(lambda: app.script(PAINTED) > 50, "the first frame painted on the canvas")
    assert position(app) == f"1 / {total}"
    if case["gray"]:
        before = app.text("[data-testid=window-readout]")
        app.drag(CANVAS, 150, 60)
        app.wait_until(lambda: app.text("[data-testid=window-readout]") != before, "window/level to change on drag")
        assert "Custom" in app.text("[data-testid=window-readout]")
        app.keys(("Shift", "3"))
        app.wait_until(lambda: "Lung" in app.text("[data-testid=window-readout]"), "the lung preset")
        assert "W 1500 · L -600" in app.text("[data-testid=window-readout]")
    shots(app, "review")

    app.keys(case["key"])
    app.wait_until(lambda: position(app) == f"2 / {total}", "auto-advance to the next item")
    app.wait_until(lambda: app.script(PAINTED) > 50, "the next item painted")
    shots(app, "advanced")
    app.keys("Escape")
    app.wait_until(lambda: (first_row(app) or {}).get("state") == "decided", "the first row to show decided")
    shots(app, "decided")

    app.quit()
    again = launch(data_dir)
    switch_role(again, role)
    row = first_row(again)
    assert row["id"] == first["id"] and row["state"] == "decided"
    recorded = [v for v in verdicts(data_dir) if v["role"] == role]
    assert len(recorded) == 1
    if case["decision"]:
        assert recorded[0]["decision"] == case["decision"]
        assert case["decision"].replace("_", "-") in row["text"].lower()
    else:
        assert recorded[0]["kind"] == "coding" and recorded[0]["decision"]["accepted"]


def test_amending_supersedes_and_a_note_is_required_to_escalate(launch, data_dir, shots):
    app = launch(data_dir)
    app.keys("Enter")
    app.wait_for(CANVAS)
    # The item is open once its first frame is painted; a decision key before that is not taken.
    app.wait_until(lambda: app.script(PAINTED) > 50, "the first frame painted")
    app.keys("1")
    app.wait_until(lambda: position(app).startswith("2 /"), "auto-advance")
    app.keys("ArrowLeft")
    app.wait_until(lambda: app.find_all("[data-testid=history-entry]"), "the earlier decision in the history")
    app.keys("a", "2")
    app.wait_until(lambda: len(app.find_all("[data-testid=history-entry]")) == 2, "the amended decision")
    assert position(app).startswith("1 /"), "auto-advance was switched off"

    app.keys("4")
    app.wait_until(lambda: "write a note" in (app.text("[data-testid=status]") or ""), "a request for a note")
    # The note field shows its limit and stops there: nothing past it can be saved.
    assert app.text("[data-testid=note-count]") == "0 / 2000"
    app.type_into(".note textarea", "z" * 2100)
    app.wait_until(lambda: app.text("[data-testid=note-count]") == "2000 / 2000", "the note held at its limit")
    app.type_into(".note textarea", "Needs a second opinion")
    app.keys(("Control", "Enter"))
    app.wait_until(lambda: len(app.find_all("[data-testid=history-entry]")) == 3, "the escalation")
    shots(app, "history")

    mine = [v for v in verdicts(data_dir) if v["item"]["key"] == "cr-0001.dcm"]
    assert [v["decision"] for v in mine] == ["agree", "disagree", "escalate"]
    assert mine[1]["supersedes"] == mine[0]["uuid"] and mine[2]["supersedes"] == mine[1]["uuid"]
    assert mine[2]["note"] == "Needs a second opinion"
    app.keys("Escape")
    app.wait_until(
        lambda: "escalate" in (first_row(app) or {}).get("text", "").lower(), "the worklist to show the latest decision"
    )


def test_a_kill_right_after_the_keypress_loses_nothing(launch, data_dir):
    app = launch(data_dir)
    app.keys("Enter")
    app.wait_for(CANVAS)
    # The item is open once its first frame is painted; a decision key before that is not taken.
    app.wait_until(lambda: app.script(PAINTED) > 50, "the first frame painted")
    app.keys("2")
    app.wait_until(lambda: position(app).startswith("2 /"), "the UI to move on")
    pids = harness.app_pids(data_dir)
    assert pids, "the app process was not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert [v["decision"] for v in verdicts(data_dir)] == ["disagree"]


def test_bad_input_shows_a_clear_error_per_item_and_the_rest_works(launch, data_dir, shots):
    app = launch(data_dir)
    app.script(
        "const s = document.querySelector('select[data-filter=tenant]');"
        "s.value = 'hospital-c'; s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    app.wait_until(lambda: all("hospital-c" in t for t in app.texts("tr[data-item]")), "the tenant filter")
    rows = {t.split("\n")[0]: t for t in app.texts("tr[data-item] td.key")}
    expected = {
        "truncated.dcm": "not a readable DICOM file",
        "no-pixel-data.dcm": "no pixel data",
        "zero-bytes.png": "empty file",
        "bomb.png": "above the limit",
        "wrong-checksum.dcm": "checksum mismatch",
        "../escape.dcm": "'..' part",
        "not-an-image.jpg": "cannot decode the image",
    }
    for key, reason in expected.items():
        assert key in rows, f"{key} missing from the worklist"
        assert reason in rows[key], f"{key}: {rows[key]!r}"
    assert app.text("[data-count=error]") == str(len(expected))
    shots(app, "errors")

    good = app.script("return [...document.querySelectorAll('tr[data-item]')].findIndex(r => r.innerText.includes('good-ct.dcm'));")
    for _ in range(good):
        app.keys("ArrowDown")
    app.keys("Enter")
    app.wait_until(lambda: app.script(PAINTED) > 50, "the good item in the bad batch to paint")
    app.keys("1")
    app.wait_until(lambda: any(v["item"]["key"] == "good-ct.dcm" for v in verdicts(data_dir)), "the decision")
    assert not any(".." in v["item"]["key"] for v in verdicts(data_dir))
    assert not (data_dir.parent / "escape.dcm").exists()


def test_multi_frame_scrolling_and_the_shortcut_sheet(launch, data_dir, shots):
    app = launch(data_dir)
    index = app.script("return [...document.querySelectorAll('tr[data-item]')].findIndex(r => r.innerText.includes('us-0001.dcm'));")
    for _ in range(index):
        app.keys("ArrowDown")
    app.keys("Enter")
    app.wait_until(lambda: (app.text("[data-testid=frame-index]") or "").startswith("Frame 1 / 120"), "a 120-frame clip")
    app.keys("ArrowDown", "ArrowDown", "ArrowDown")
    app.wait_until(lambda: app.text("[data-testid=frame-index]").startswith("Frame 4 / 120"), "frame 4")
    app.wait_until(lambda: app.script(PAINTED) > 50, "frame 4 painted")
    shots(app, "ultrasound")
    app.keys("?")
    app.wait_for("[role=dialog]")
    assert "Next item" in app.text("[role=dialog]")
    shots(app, "shortcuts")
    app.keys("Escape")
    app.wait_until(lambda: not app.find_all("[role=dialog]"), "the sheet to close")
