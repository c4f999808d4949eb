"""`secondread quality FILE`: a technician's spot check of one capture from the shell."""

import json
import subprocess

from conftest import APP, DEMO, cli

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
