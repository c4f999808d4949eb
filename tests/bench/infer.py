"""`make bench`: the diagnosis model's throughput, SecondRead against Python onnxruntime.

Same model (models/demo-spots), same images (the demo photos, 1,411-px PNG and JPEG,
repeated to 120 reads), same ONNX Runtime version (1.31.1) and the same intra-op thread
count, in one run. Each side decodes, resizes to the model's input, normalises and runs
the model once per image, one image after another, as the assessment queue does.
The peer runs in a throwaway virtualenv: onnxruntime, Pillow and numpy from PyPI.
Target: SecondRead >= 1.0x the peer's images/s. Best of three interleaved runs each.
"""

import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "target" / "release" / "sr-bench"
MODELS = ROOT / "models"
PHOTOS = ROOT / "target" / "demo-data" / "clinic-b" / "2026-11-22-photo-0004"
READS = 120
RUNS = 3
PEER_PACKAGES = ["onnxruntime==1.31.1", "pillow==13.0.0", "numpy==2.4.6"]

PEER = r'''
import json, sys, time, tomllib
import numpy as np, onnxruntime as ort
from PIL import Image
model_dir, threads, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
spec = tomllib.load(open(f"{model_dir}/model.toml", "rb"))["input"]
options = ort.SessionOptions()
options.intra_op_num_threads = threads
session = ort.InferenceSession(f"{model_dir}/model.onnx", options, providers=["CPUExecutionProvider"])
scale, mean, std = np.float32(spec["scale"]), np.float32(spec["mean"]), np.float32(spec["std"])
def classify(path):
    rgb = Image.open(path).convert("RGB").resize((spec["width"], spec["height"]), Image.BILINEAR)
    x = ((np.asarray(rgb, np.float32) * scale - mean) / std).transpose(2, 0, 1)[None]
    return session.run(None, {spec["name"]: np.ascontiguousarray(x)})
for f in files:
    classify(f)
start = time.perf_counter()
for f in files:
    classify(f)
seconds = time.perf_counter() - start
print(json.dumps({"images": len(files), "seconds": seconds, "images_per_second": len(files) / seconds}))
'''


def images():
    photos = sorted(p for p in PHOTOS.iterdir() if p.suffix in (".png", ".jpg"))
    return [str(photos[i % len(photos)]) for i in range(READS)]


def peer_python(root):
    env_dir = Path(root) / "peer-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEER_PACKAGES],
                   check=True)
    return python


def measure(command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    threads = os.cpu_count() or 2
    files = images()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as root:
        python = peer_python(root)
        peer_script = Path(root) / "peer.py"
        peer_script.write_text(PEER)
        ours, theirs = [], []
        for _ in range(RUNS):
            ours.append(measure([str(BENCH), "classify", str(MODELS), "demo-spots", str(threads), *files], env))
            theirs.append(measure([str(python), str(peer_script), str(MODELS / "demo-spots"), str(threads), *files]))
    best_ours = max(r["images_per_second"] for r in ours)
    best_theirs = max(r["images_per_second"] for r in theirs)
    ratio = best_ours / best_theirs
    print(f"diagnosis model, {READS} photos of 1,411 px, {threads} threads, best of {RUNS}:")
    print(f"  SecondRead          {best_ours:7.1f} images/s")
    print(f"  Python onnxruntime  {best_theirs:7.1f} images/s")
    print(f"  ratio {ratio:.2f}x (target >= 1.0x): {'met' if ratio >= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
