"""`secondread quality FILE`: a technician's spot check of one capture from the shell."""

import json
import os
import shutil
import subprocess

from conftest import APP, DEMO, cli
from harness import ROOT

PHOTOS = DEMO / "clinic-b" / "2026-11-22-photo-0004"
QUARANTINE = DEMO / "hospital-c" / "2026-11-23-quarantine-0005"


def quality(tmp_path, path):
    return json.loads(cli(tmp_path / "data", "quality", str(path), "--json"))


def issues(report):
    return {flag["issue"] for flag in report["flags"]}


def test_a_sharp_capture_passes_and_bad_ones_say_what_is_wrong(tmp_path):
    sharp = quality(tmp_path, PHOTOS / "retina.png")
    assert sharp["flags"] == []
    blurred = quality(tmp_path, PHOTOS / "retina-blurred.jpg")
    assert "blurry" in issues(blurred)
    assert blurred["laplacian_variance"] < sharp["laplacian_variance"] / 10
    assert "underexposed" in issues(quality(tmp_path, PHOTOS / "retina-underexposed.jpg"))
    assert "overexposed" in issues(quality(tmp_path, PHOTOS / "retina-overexposed.png"))


def test_a_broken_file_is_a_clear_error(tmp_path):
    for name in ["bomb.png", "zero-bytes.png", "not-an-image.jpg", "truncated.dcm"]:
        result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "quality",
                                 str(QUARANTINE / name), "--json"], capture_output=True, text=True)
        assert result.returncode != 0
        error = json.loads(result.stderr)
        assert error["code"] == "decode" and error["message"], error


def test_overall_quality_uses_the_brisque_model_and_a_tampered_one_is_refused(tmp_path):
    sharp = quality(tmp_path, PHOTOS / "ihc.png")
    assert 20 < sharp["brisque"] < 40 and sharp["flags"] == []
    blurred = quality(tmp_path, PHOTOS / "ihc-blurred.jpg")
    assert blurred["brisque"] > sharp["brisque"] + 30 and "distorted" in issues(blurred)

    models = tmp_path / "models"
    shutil.copytree(ROOT / "models" / "capture-quality", models / "capture-quality")
    svm = models / "capture-quality" / "brisque-svm.txt"
    svm.write_text(svm.read_text().replace("rho -155.845", "rho -255.845"))
    env = dict(os.environ, SECONDREAD_MODELS=str(models))
    listed = json.loads(subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "models", "--json"],
                                       capture_output=True, text=True, env=env, check=True).stdout)
    assert "refused" in listed["quality"]["check"] and listed["quality"]["sha256"] is None
    # Sharpness and exposure still run; the tampered model scores nothing.
    result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "quality",
                             str(PHOTOS / "retina-blurred.jpg"), "--json"],
                            capture_output=True, text=True, env=env, check=True)
    report = json.loads(result.stdout)
    assert report["brisque"] is None and "blurry" in issues(report)
