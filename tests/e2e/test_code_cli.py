"""`secondread code` from the shell: ICD-10-CM codes suggested from the labelled
synthetic documents (tests/documents/make_documents.py), held to precision/recall
floors over (code, standing) pairs, with their evidence on the page and the flags a
coder must see."""

import json
import os
import subprocess

import pytest

from conftest import APP, DOCUMENTS, cli
from scoring import corpus_code_f1

TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())

# The floors a regression must not cross (measured: see the closing note of issue 8).
TEXT_LAYER_F1 = 0.85
SCANNED_F1 = 0.80


def code(tmp_path, rel):
    return json.loads(cli(tmp_path / "data", "code", str(DOCUMENTS / rel), "--json"))


@pytest.mark.parametrize("label,suffix,floor", [
    ("text layer", "-text.pdf", TEXT_LAYER_F1),
    ("JPEG scans", "-jpeg.jpg", SCANNED_F1),
])
def test_codes_meet_the_floor(tmp_path, label, suffix, floor):
    files = sorted(f for f in TRUTH["files"] if f.endswith(suffix))
    (score, precision, recall), wrong = corpus_code_f1(
        lambda rel: code(tmp_path, rel)["suggestions"], files, TRUTH)
    print(f"{label}: F1 {score:.3f} (precision {precision:.3f}, recall {recall:.3f}) "
          f"over {len(files)} documents; wrong: {json.dumps(wrong)}")
    assert score >= floor, wrong


def test_each_suggestion_shows_its_evidence_and_standing(tmp_path):
    result = code(tmp_path, "clean/doc-01-text.pdf")
    assert result["icd_version"] and result["pages"][0]["source"] == "text-layer"
    by_code = {s["code"]: s for s in result["suggestions"]}
    diabetes = by_code["E11.65"]
    assert diabetes["status"] == "present" and diabetes["found"] == "written_and_phrase"
    assert diabetes["evidence"]["text"] == "Type 2 diabetes mellitus with hyperglycemia (E11.65"
    assert diabetes["billable"] and diabetes["confidence"] > 0.9
    # Its box is the left part of that line, on the page.
    line = next(line for line in result["pages"][0]["lines"] if "E11.65" in line["text"])
    box, whole = diabetes["evidence"]["boxes"][0], line["quad"]
    assert box[0] == pytest.approx(whole[0], abs=1e-4)
    assert whole[0]["x"] < box[1]["x"] < whole[1]["x"]
    embolism = by_code["I26.99"]
    assert embolism["status"] == "negated" and embolism["found"] == "phrase"
    assert embolism["evidence"]["text"] == "pulmonary embolism"
    assert by_code["R07.9"]["status"] == "negated"


def test_header_codes_excludes1_pairs_and_misread_codes_are_flagged(tmp_path):
    by_code = {s["code"]: s for s in code(tmp_path, "coding/flags-text.pdf")["suggestions"]}
    assert not by_code["E11.6"]["billable"], by_code["E11.6"]
    assert any("with E11.9" in note for note in by_code["E10.9"]["excludes1"]), by_code["E10.9"]
    assert any("with E10.9" in note for note in by_code["E11.9"]["excludes1"]), by_code["E11.9"]
    assert by_code["E03.9"]["excludes1"] == []
    # "EO3.9" as printed (a letter O) is the code E03.9.
    assert by_code["E03.9"]["found"] == "written_and_phrase"
    assert by_code["E03.9"]["evidence"]["text"].endswith("(EO3.9")


def test_pages_with_nothing_to_code_suggest_nothing(tmp_path):
    assert code(tmp_path, "hostile/blank.png")["suggestions"] == []
    mixed = code(tmp_path, "hostile/non-latin.png")["suggestions"]
    assert [(s["code"], s["status"]) for s in mixed] == [("I10", "present")], mixed


def failure(tmp_path, path, env=None):
    result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "code", str(path), "--json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode != 0, result.stdout
    return json.loads(result.stderr)


def test_a_bad_document_is_a_clear_error(tmp_path):
    error = failure(tmp_path, DOCUMENTS / "hostile" / "encrypted.pdf")
    assert error["code"] == "decode" and "encrypted with a password" in error["message"], error


def test_without_the_icd_table_coding_says_so(tmp_path):
    env = dict(os.environ, SECONDREAD_MODELS=str(tmp_path / "no-models"))
    (tmp_path / "no-models").mkdir()
    error = failure(tmp_path, DOCUMENTS / "clean" / "doc-01-text.pdf", env)
    assert "no ICD-10-CM table is installed" in error["message"], error
