"""`make bench`: OCR pages/s and character error rate on the same pages, SecondRead
against RapidOCR (Python, the same three PP-OCR ONNX models from the same wheel, same
ONNX Runtime version and thread count) and Tesseract 5 (Debian's tesseract-ocr), in one
run. The pages are the labelled set's (tests/documents): clean 200-dpi renders and
their degraded copies (rotated, blurred, noisy, JPEG, phone photo). Each side's time
includes loading its models once; the peers run in a throwaway virtualenv.
Targets: SecondRead >= 1.5x RapidOCR's pages/s at a CER no worse than RapidOCR's; CER
<= 2 % clean, <= 6 % degraded; code extraction F1 >= 0.85 over (code, standing) pairs.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "documents"))
from scoring import corpus_code_f1, edits  # noqa: E402

# `make bench` builds release; SECONDREAD_BENCH_PROFILE=debug measures a debug build.
PROFILE = os.environ.get("SECONDREAD_BENCH_PROFILE", "release")
APP = ROOT / "target" / PROFILE / "secondread"
DOCUMENTS = ROOT / "target" / "documents"
PEER_PACKAGES = ["rapidocr==3.10.0", "onnxruntime==1.31.1"]

PEER = r'''
import json, sys, time
from rapidocr import RapidOCR
threads, files = int(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
engine = RapidOCR(params={"Global.log_level": "critical",
                          "EngineConfig.onnxruntime.intra_op_num_threads": threads})
texts = {f: "\n".join(engine(f).txts or ()) for f in files}
print(json.dumps({"seconds": time.perf_counter() - start, "texts": texts}))
'''


def pages():
    truth = json.loads((DOCUMENTS / "truth.json").read_text())["files"]
    chosen = [f for f in truth if f.endswith((".png", ".jpg")) and f.split("/")[0] in ("clean", "degraded")]
    return chosen, {f: "\n".join(truth[f]["pages"][0]) for f in chosen}


def secondread(files, threads):
    start = time.perf_counter()
    result = subprocess.run([str(APP), "--data-dir", tempfile.mkdtemp(), "--threads", str(threads), "ocr",
                             *[str(DOCUMENTS / f) for f in files], "--json"],
                            capture_output=True, text=True, check=True, timeout=3600)
    seconds = time.perf_counter() - start
    texts = {}
    for read in json.loads(result.stdout):
        name = read["file"].split(str(DOCUMENTS) + "/")[1]
        texts[name] = "\n".join(line["text"] for line in read["pages"][0]["lines"])
    return seconds, texts


def rapidocr(python, script, files, threads):
    result = subprocess.run([str(python), str(script), str(threads), *[str(DOCUMENTS / f) for f in files]],
                            capture_output=True, text=True, check=True, timeout=3600)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return out["seconds"], {k.split(str(DOCUMENTS) + "/")[1]: v for k, v in out["texts"].items()}


def tesseract(files):
    start = time.perf_counter()
    texts = {}
    for f in files:
        result = subprocess.run(["tesseract", str(DOCUMENTS / f), "-", "--psm", "3"], capture_output=True,
                                text=True, check=True, timeout=600)
        texts[f] = result.stdout
    return time.perf_counter() - start, texts


def rates(texts, truth, part):
    chosen = [f for f in truth if f.startswith(part)]
    e = n = 0
    for f in chosen:
        fe, fn = edits(texts.get(f, ""), truth[f])
        e, n = e + fe, n + fn
    return e / n


def main():
    threads = os.cpu_count() or 2
    files, truth = pages()
    with tempfile.TemporaryDirectory() as root:
        env_dir = Path(root) / "peer-venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEER_PACKAGES],
                       check=True)
        script = Path(root) / "peer.py"
        script.write_text(PEER)
        results = {
            "SecondRead": secondread(files, threads),
            "RapidOCR (Python)": rapidocr(python, script, files, threads),
            "Tesseract 5": tesseract(files),
        }
    print(f"OCR, {len(files)} pages (letter, 200 dpi; clean and degraded), {threads} threads, "
          f"{PROFILE} build:")
    for name, (seconds, texts) in results.items():
        print(f"  {name:<18} {len(files) / seconds:6.3f} pages/s   CER clean {rates(texts, truth, 'clean/'):6.2%}"
              f"   degraded {rates(texts, truth, 'degraded/'):6.2%}")
    ours, peer = results["SecondRead"], results["RapidOCR (Python)"]
    ratio = peer[0] / ours[0]
    ours_cer = rates(ours[1], truth, "")
    peer_cer = rates(peer[1], truth, "")
    print(f"  ratio {ratio:.2f}x RapidOCR's pages/s (target >= 1.5x): {'met' if ratio >= 1.5 else 'NOT met'}; "
          f"CER {ours_cer:.2%} vs {peer_cer:.2%} ({'no worse' if ours_cer <= peer_cer else 'WORSE'})")
    for label, suffix in [("text-layer PDFs", "-text.pdf"), ("JPEG scans", "-jpeg.jpg")]:
        score, precision, recall, n = code_f1(suffix)
        print(f"  code extraction F1 {score:.3f} (precision {precision:.3f}, recall {recall:.3f}) over {n} "
              f"{label}, (code, standing) pairs (target >= 0.85): {'met' if score >= 0.85 else 'NOT met'}")


def code_f1(suffix):
    """F1 of `secondread code` over the labelled documents' files ending in `suffix`."""
    labelled = json.loads((DOCUMENTS / "truth.json").read_text())
    files = sorted(f for f in labelled["files"] if f.endswith(suffix))

    def suggest(rel):
        result = subprocess.run([str(APP), "--data-dir", tempfile.mkdtemp(), "code", str(DOCUMENTS / rel),
                                 "--json"], capture_output=True, text=True, check=True)
        return json.loads(result.stdout)["suggestions"]

    (score, precision, recall), _ = corpus_code_f1(suggest, files, labelled)
    return score, precision, recall, len(files)

if __name__ == "__main__":
    sys.exit(main())
