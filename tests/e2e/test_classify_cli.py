"""`secondread classify` and `secondread models`: the diagnosis model's first read from
the shell, checked against Python onnxruntime running the same model on the same input."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib

import numpy as np
import onnxruntime
import pytest
from conftest import APP, DEMO
from harness import ROOT
from PIL import Image, ImageDraw

MODELS = ROOT / "models"
DEMO_MODEL = MODELS / "demo-spots"
PHOTOS = DEMO / "clinic-b" / "2026-11-22-photo-0004"
MANIFEST = tomllib.loads((DEMO_MODEL / "model.toml").read_text())


def run(tmp_path, *args, models=MODELS):
    env = dict(os.environ, SECONDREAD_MODELS=str(models))
    return subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), *args, "--json"],
                          capture_output=True, text=True, env=env, timeout=60)


def classify(tmp_path, image, heatmap=None):
    args = ["classify", "--model", "demo-spots", str(image)]
    if heatmap:
        args += ["--heatmap", str(heatmap)]
    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def reference(image):
    """The model in Python onnxruntime, fed as the manifest says (PIL's bilinear resize)."""
    spec = MANIFEST["input"]
    rgb = Image.open(image).convert("RGB")
    if rgb.size != (spec["width"], spec["height"]):
        rgb = rgb.resize((spec["width"], spec["height"]), Image.BILINEAR)
    x = np.asarray(rgb, np.float32) * np.float32(spec["scale"])
    x = (x - np.float32(spec["mean"])) / np.float32(spec["std"])
    session = onnxruntime.InferenceSession(str(DEMO_MODEL / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    probabilities, heatmap = session.run(None, {"image": x.transpose(2, 0, 1)[None].copy()})
    return probabilities[0], heatmap[0, 0]


def model_sized_images(tmp_path):
    """Inputs already at the model's size, so nothing but the model differs."""
    out = []
    for name in ["retina.png", "ihc.png"]:
        crop = Image.open(PHOTOS / name).convert("RGB").crop((300, 300, 524, 524))
        out.append(tmp_path / f"crop-{name}")
        crop.save(out[-1])
    dots = Image.new("RGB", (224, 224), (60, 60, 60))
    draw = ImageDraw.Draw(dots)
    for x, y in [(40, 50), (150, 120), (90, 180)]:
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(250, 250, 250))
    out.append(tmp_path / "dots.png")
    dots.save(out[-1])
    out.append(tmp_path / "flat.png")
    Image.new("RGB", (224, 224), (128, 128, 128)).save(out[-1])
    return out


def test_the_demo_model_is_rebuilt_byte_for_byte(tmp_path):
    rebuilt = tmp_path / "model.onnx"
    subprocess.run([sys.executable, str(DEMO_MODEL / "make_model.py"), str(rebuilt)], check=True)
    assert hashlib.sha256(rebuilt.read_bytes()).hexdigest() == MANIFEST["sha256"]
    assert rebuilt.read_bytes() == (DEMO_MODEL / "model.onnx").read_bytes()


def test_findings_match_python_onnxruntime_on_the_same_inputs(tmp_path):
    flagged = set()
    for image in model_sized_images(tmp_path):
        heatmap_png = tmp_path / f"{image.stem}-heat.png"
        finding = classify(tmp_path, image, heatmap_png)
        probabilities, heatmap = reference(image)
        ours = [s["probability"] for s in finding["scores"]]
        assert ours == pytest.approx(probabilities.tolist(), abs=1e-4), image.name
        ours_map = np.asarray(Image.open(heatmap_png), np.float32)
        assert ours_map.shape == heatmap.shape
        assert np.abs(ours_map - heatmap * 255).max() <= 1.0, image.name
        assert finding["model"] == {"id": "demo-spots", "version": MANIFEST["version"],
                                    "sha256": MANIFEST["sha256"]}
        assert finding["demo"] is True
        assert finding["provider"]["kind"] == "cpu" and "CUDA" in finding["provider"]["reason"]
        if finding["flagged"]:
            flagged.add(image.name)
    # The drawn dots are found, a flat grey image is not.
    assert "dots.png" in flagged and "flat.png" not in flagged


def test_whole_photos_resized_agree_with_python_within_resampling_differences(tmp_path):
    for name in ["retina.png", "ihc.png", "microaneurysms.png", "retina-blurred.jpg"]:
        finding = classify(tmp_path, PHOTOS / name)
        probabilities, _ = reference(PHOTOS / name)
        assert finding["scores"][1]["probability"] == pytest.approx(probabilities[1], abs=0.05), name
        assert finding["flagged"] == (probabilities[1] >= MANIFEST["thresholds"]["flag_at"]), name


def test_a_tampered_model_is_refused_and_listed_as_such(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(DEMO_MODEL, models / "demo-spots")
    onnx = models / "demo-spots" / "model.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    result = run(tmp_path, "classify", "--model", "demo-spots", str(PHOTOS / "retina.png"),
                 models=models)
    assert result.returncode != 0
    error = json.loads(result.stderr)
    assert error["code"] == "model_refused" and "sha256" in error["message"], error

    listed = run(tmp_path, "models", models=models)
    assert listed.returncode == 0, listed.stderr
    [model] = json.loads(listed.stdout)["models"]
    assert model["id"] == "demo-spots" and model["usable"] is False
    assert model["check"].startswith("refused")


def test_unknown_models_and_broken_files_are_clear_errors(tmp_path):
    result = run(tmp_path, "classify", "--model", "no-such-model", str(PHOTOS / "retina.png"))
    assert result.returncode != 0
    assert json.loads(result.stderr)["code"] == "not_found"
    truncated = DEMO / "hospital-c" / "2026-11-23-quarantine-0005" / "truncated.dcm"
    result = run(tmp_path, "classify", "--model", "demo-spots", str(truncated))
    assert result.returncode != 0
    assert json.loads(result.stderr)["code"] == "decode"


def python_outputs(model_file, image):
    spec = MANIFEST["input"]
    rgb = Image.open(image).convert("RGB")
    x = np.asarray(rgb, np.float32) * np.float32(spec["scale"])
    x = (x - np.float32(spec["mean"])) / np.float32(spec["std"])
    session = onnxruntime.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": x.transpose(2, 0, 1)[None].copy()})


def test_the_detection_model_boxes_what_python_onnxruntime_boxes(tmp_path):
    det = MODELS / "demo-spots-det"
    rebuilt = tmp_path / "det.onnx"
    subprocess.run([sys.executable, str(DEMO_MODEL / "make_model.py"), str(rebuilt), "detect"], check=True)
    assert rebuilt.read_bytes() == (det / "model.onnx").read_bytes()
    image = model_sized_images(tmp_path)[2]  # the drawn dots
    result = run(tmp_path, "classify", "--model", "demo-spots-det", str(image))
    assert result.returncode == 0, result.stderr
    finding = json.loads(result.stdout)
    [boxes] = python_outputs(det / "model.onnx", image)
    expected = [b for b in boxes if b[4] >= 0.5]
    assert len(finding["boxes"]) == len(expected) == 3  # one per drawn dot
    for ours, theirs in zip(finding["boxes"], sorted(expected, key=lambda b: -b[4]), strict=True):
        assert ours["score"] == pytest.approx(float(theirs[4]), abs=1e-4)
        assert [ours["x0"] * 224, ours["y0"] * 224, ours["x1"] * 224, ours["y1"] * 224] == \
            pytest.approx([float(v) for v in theirs[:4]], abs=1e-3)
    assert finding["flagged"] and finding["label"] == "bright spot"


def test_a_segmentation_model_dropped_in_by_manifest_gives_its_mask(tmp_path):
    """A site's own model: a folder with model.toml and the ONNX file, nothing else."""
    models = tmp_path / "models"
    seg = models / "site-seg"
    seg.mkdir(parents=True)
    subprocess.run([sys.executable, str(DEMO_MODEL / "make_model.py"), str(seg / "model.onnx"), "segment"],
                   check=True)
    sha = hashlib.sha256((seg / "model.onnx").read_bytes()).hexdigest()
    manifest = (DEMO_MODEL / "model.toml").read_text()
    manifest = (manifest.replace('id = "demo-spots"', 'id = "site-seg"')
                .replace('task = "classify"', 'task = "segment"')
                .replace(MANIFEST["sha256"], sha)
                .replace('labels = ["no bright spots", "bright spots"]', 'labels = ["background", "bright spots"]')
                .replace('scores = "probabilities"\nactivation = "none"\nheatmap = "heatmap"', 'mask = "mask"'))
    (seg / "model.toml").write_text(manifest)
    image = model_sized_images(tmp_path)[2]
    heat = tmp_path / "mask.png"
    result = run(tmp_path, "classify", "--model", "site-seg", str(image), "--heatmap", str(heat), models=models)
    assert result.returncode == 0, result.stderr
    finding = json.loads(result.stdout)
    [mask] = python_outputs(seg / "model.onnx", image)
    assert finding["label"] == "bright spots" and finding["flagged"]
    assert finding["confidence"] == pytest.approx(float(mask[0, 1].max()), abs=1e-4)
    ours = np.asarray(Image.open(heat), np.float32)
    assert np.abs(ours - mask[0, 1] * 255).max() <= 1.0
