"""End to end: the app assesses new items on its own with the local models, and the
review screen shows the finding, its heat map over the image, and capture quality."""

import json
import shutil
import time

from conftest import cli
from harness import ROOT
from test_review import CANVAS, PAINTED, switch_role

MODELS = ROOT / "models"

# A checksum of the canvas, sampled: it changes when the heat map is drawn or hidden.
CHECKSUM = """
const c = document.querySelector('canvas[data-testid=viewer-canvas]');
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let sum = 0;
for (let i = 0; i < d.length; i += 16) sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007;
return sum;
"""


def choose_sort(app, value):
    app.script("const s = document.querySelector('select[data-filter=sort]');"
               "s.value = arguments[0]; s.dispatchEvent(new Event('change', {bubbles: true}));", value)


def first_row_id(app):
    return app.script("return document.querySelector('tr[data-index=\"0\"]').dataset.item")


def open_row(app, key):
    index = app.script(
        "const rows = [...document.querySelectorAll('tr[data-item]')];"
        "return rows.findIndex(r => r.innerText.includes(arguments[0]));", key)
    assert index >= 0, f"{key} in the worklist"
    app.script("const r = document.querySelectorAll('tr[data-item]')[arguments[0]];"
               "r.scrollIntoView(); r.click();", index)
    app.keys("Enter")
    app.wait_for(CANVAS)
    app.wait_until(lambda: app.script(PAINTED) > 50, "the first frame painted")


def test_doctor_sees_the_local_finding_and_its_heat_map(launch, data_dir, shots):
    app = launch(data_dir)
    switch_role(app, "doctor")
    open_row(app, "retina.png")
    app.wait_for("[data-testid=local-finding]", timeout=90)
    finding = app.text("[data-testid=local-finding]")
    assert "bright spots" in finding and "demo, not for clinical use" in finding
    assert "demo-spots 1.0.0" in finding and "% confidence" in finding
    app.wait_for("[data-testid=finding-flagged]")
    app.wait_until(lambda: "regions marked" in app.text("body"), "the detection model's boxes", timeout=90)
    app.wait_for("[data-testid=heatmap-controls]")
    app.wait_until(lambda: app.script("return document.querySelector('[data-testid=heatmap-controls] input').checked"),
                   "the heat map switched on")
    app.wait_until(lambda: app.script(CHECKSUM) == app.script(CHECKSUM), "the canvas settled")
    with_map = app.script(CHECKSUM)
    shots(app, "finding-with-heatmap")

    app.keys("h")
    app.wait_until(lambda: app.script(CHECKSUM) != with_map, "the heat map hidden by H")
    without_map = app.script(CHECKSUM)
    app.keys("h")
    app.wait_until(lambda: app.script(CHECKSUM) == with_map, "the same heat map back")
    assert without_map != with_map

    # The finding was stored with the model that made it, for the record.
    items = json.loads(cli(data_dir, "items", "--role", "doctor", "--json"))
    assert items["rows"], items


def test_technician_sees_capture_quality_with_the_reason(launch, data_dir, shots):
    app = launch(data_dir)
    switch_role(app, "technician")
    open_row(app, "retina-blurred.jpg")
    app.wait_for("[data-testid=quality-report]", timeout=90)
    report = app.text("[data-testid=quality-report]")
    assert "blurry" in report and "Laplacian variance" in report and "BRISQUE" in report
    assert "local-finding" not in app.script("return document.body.innerHTML")
    shots(app, "quality-report")
    app.keys("Escape")
    open_row(app, "retina.png")
    app.wait_for("[data-testid=quality-report]", timeout=90)
    assert "Passes" in app.text("[data-testid=quality-report]")


def test_models_screen_lists_each_model_its_check_device_and_the_queue(launch, data_dir, shots):
    app = launch(data_dir)
    app.click("button.models-button")
    app.wait_for("tr[data-model='demo-spots']")
    row = app.text("tr[data-model='demo-spots']")
    assert "demo, not for clinical use" in row and "classify" in row and "verified" in row
    assert "CPU" in row and "CUDA" in row  # the CPU, and why not CUDA
    assert "Apache-2.0" in row and "Not for clinical use" in row
    quality = app.text("tr[data-model='capture-quality']")
    assert "verified" in quality and "BRISQUE" in quality
    app.wait_until(lambda: "waiting" in app.text("[data-testid=assess-queue]"), "the queue's counts")
    app.wait_until(lambda: " 0 waiting" in app.text("[data-testid=assess-queue]"), "the queue drained", timeout=120)
    shots(app, "models")


def test_a_site_model_that_fails_its_check_is_shown_refused(launch, data_dir):
    site = data_dir / "models" / "demo-spots"
    shutil.copytree(MODELS / "demo-spots", site)
    manifest = site / "model.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.0.0"', 'version = "1.0.1"')
                        .replace("width = 224", "width = 256"))
    app = launch(data_dir)
    app.click("button.models-button")
    app.wait_for("tr[data-model='demo-spots']")
    row = app.text("tr[data-model='demo-spots']")
    assert "1.0.1" in row and "does not match its manifest" in row, row
    # No item gets a finding from a model that cannot run as described.
    app.click("button.models-button")
    switch_role(app, "doctor")
    open_row(app, "retina.png")
    time.sleep(2)
    assert not app.find_all("[data-testid=local-finding]")


def test_worklists_sort_by_the_local_reads(launch, data_dir, shots):
    cli(data_dir, "assess")
    by_finding = json.loads(cli(data_dir, "items", "--role", "doctor", "--sort", "finding", "--json"))["rows"]
    probabilities = [r["local_flag_probability"] for r in by_finding if r["local_flag_probability"] is not None]
    assert len(probabilities) > 10 and probabilities == sorted(probabilities, reverse=True)
    worst = json.loads(cli(data_dir, "items", "--role", "technician", "--sort", "quality-worst", "--json"))["rows"]
    failing = [bool(r["quality_issues"]) for r in worst if r["quality_issues"] is not None]
    assert failing[0] and failing == sorted(failing, reverse=True)

    app = launch(data_dir)
    switch_role(app, "doctor")
    choose_sort(app, "finding")
    app.wait_until(lambda: first_row_id(app) == str(by_finding[0]["id"]), "the strongest finding on top")
    assert by_finding[0]["local_finding"] in app.text("tr[data-index='0'] [data-testid=local-ai]")
    shots(app, "doctor-by-finding")

    switch_role(app, "technician")
    choose_sort(app, "quality_worst")
    app.wait_until(lambda: first_row_id(app) == str(worst[0]["id"]), "the worst capture on top")
    assert worst[0]["quality_issues"][0].replace("_", "-") in app.text("tr[data-index='0'] [data-testid=quality]")
    shots(app, "technician-worst-first")
