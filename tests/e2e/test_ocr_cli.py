"""`secondread ocr` and `secondread icd` from the shell, on the labelled synthetic
documents (tests/documents/make_documents.py): the text a coder will code from, held
to character-error-rate floors, and every kind of bad file a coder's inbox holds."""

import json
import subprocess
import sys

import pytest
from conftest import APP, DOCUMENTS, cli
from PIL import Image, ImageDraw
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from scoring import edits

TRUTH = json.loads((DOCUMENTS / "truth.json").read_text())

# The floors a regression must not cross (measured: see the closing note of issue 8).
# The targets are 2 % and 6 %; measured 0.10 % and 0.11 % (stop 16), so the
# floors sit well below the targets to catch a regression long before it reaches them.
CLEAN_CER = 0.01
DEGRADED_CER = 0.01


def ocr(tmp_path, *files):
    return json.loads(cli(tmp_path / "data", "ocr", *[str(DOCUMENTS / f) for f in files], "--json"))


def page_texts(document):
    return ["\n".join(line["text"] for line in page["lines"]) for page in document["pages"]
            if page["status"] == "read"]


def corpus_cer(tmp_path, files):
    """Total edits over total characters, and the worst file, across `files`."""
    results = ocr(tmp_path, *files)
    total = chars = 0
    worst = (0.0, "")
    for result in results:
        assert "error" not in result, result
        truth_pages = TRUTH["files"][result["file"].split(str(DOCUMENTS) + "/")[1]]["pages"]
        read_pages = page_texts(result)
        assert len(read_pages) == len(truth_pages), result["file"]
        for read, truth in zip(read_pages, truth_pages, strict=True):
            e, n = edits(read, "\n".join(truth))
            total, chars = total + e, chars + n
            worst = max(worst, (e / n, result["file"]))
    return total / chars, worst, results


def test_clean_pages_read_with_few_errors_and_their_lines_where_they_are(tmp_path):
    files = [f for f in TRUTH["files"] if f.startswith("clean/") and not f.endswith("-text.pdf")]
    rate, worst, results = corpus_cer(tmp_path, files)
    print(f"clean: CER {rate:.4f} over {len(files)} files, worst {worst}")
    assert rate <= CLEAN_CER, (rate, worst)
    png = next(r for r in results if r["file"].endswith("doc-01.png"))
    page = png["pages"][0]
    assert page["source"] == "ocr" and abs(page["skew"]) < 1
    # The page orientation model sets pages upright; the line-angle model stands by.
    assert [m["id"] for m in png["models"]] == ["ppocr-orient", "ppocr-det", "ppocr-rec"]
    assert page["turn"] == "0"
    assert all(len(m["sha256"]) == 64 for m in png["models"])
    # The title line sits in the upper part of the page, left of centre, and boxes
    # are fractions of the page.
    title = next(line for line in page["lines"] if line["text"] == "DISCHARGE SUMMARY")
    xs = [c["x"] for c in title["quad"]]
    ys = [c["y"] for c in title["quad"]]
    assert 0.05 < min(xs) < 0.15 and max(xs) < 0.5 and 0.08 < min(ys) < max(ys) < 0.15, title
    assert all(0 < line["confidence"] <= 1 for line in page["lines"])
    fax = next(r for r in results if r["file"].endswith("fax.tif"))
    assert len(fax["pages"]) == 2


# Where the upright page's title line lies once the page is turned clockwise by so
# many degrees: the side of the page it is on.
TITLE_SIDE = {90: lambda xs, ys: min(xs) > 0.8, 180: lambda xs, ys: min(ys) > 0.8, 270: lambda xs, ys: max(xs) < 0.2}


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_page_on_its_side_or_upside_down_is_read_upright(tmp_path, degrees):
    turned = tmp_path / f"turned-{degrees}.png"
    # PIL turns counter-clockwise.
    Image.open(DOCUMENTS / "clean" / "doc-01.png").rotate(-degrees, expand=True).save(turned)
    page = json.loads(cli(tmp_path / "data", "ocr", str(turned), "--json"))["pages"][0]
    assert page["turn"] == str(degrees), page["turn"]
    read = "\n".join(line["text"] for line in page["lines"])
    e, n = edits(read, "\n".join(TRUTH["files"]["clean/doc-01.png"]["pages"][0]))
    assert e / n <= CLEAN_CER, (e / n, read)
    # The boxes are on the page as it was given, where its lines are printed.
    title = next(line for line in page["lines"] if line["text"] == "DISCHARGE SUMMARY")
    xs, ys = [c["x"] for c in title["quad"]], [c["y"] for c in title["quad"]]
    assert TITLE_SIDE[degrees](xs, ys), title
    across, down = (max(xs) - min(xs)) * page["width"], (max(ys) - min(ys)) * page["height"]
    assert (down > across) == (degrees != 180), title


@pytest.mark.parametrize("degrees", [12, -30])
def test_a_page_photographed_askew_reads_as_well_as_a_straight_one(tmp_path, degrees):
    # Each line is straightened as it is cut out of the page, so a phone held at an
    # angle costs nothing; the skew is reported, and boxes lean with the printed lines.
    askew = tmp_path / f"askew-{degrees}.png"
    Image.open(DOCUMENTS / "clean" / "doc-01.png").convert("RGB").rotate(
        degrees, expand=True, resample=Image.Resampling.BICUBIC, fillcolor="white").save(askew)
    page = json.loads(cli(tmp_path / "data", "ocr", str(askew), "--json"))["pages"][0]
    assert page["turn"] == "0" and abs(page["skew"] + degrees) < 1, page["skew"]
    read = "\n".join(line["text"] for line in page["lines"])
    e, n = edits(read, "\n".join(TRUTH["files"]["clean/doc-01.png"]["pages"][0]))
    assert e / n <= CLEAN_CER, (e / n, read)
    title = next(line for line in page["lines"] if line["text"] == "DISCHARGE SUMMARY")
    left, right = title["quad"][0], title["quad"][1]
    # PIL turns counter-clockwise: the line's right end rises on the page.
    rise = (left["y"] - right["y"]) * page["height"]
    assert (rise > 0) == (degrees > 0) and abs(rise) > 20, title


def test_a_text_layer_is_taken_as_written(tmp_path):
    files = [f for f in TRUTH["files"] if f.endswith("-text.pdf")]
    rate, worst, results = corpus_cer(tmp_path, files)
    assert rate == 0, (rate, worst)
    page = results[0]["pages"][0]
    assert page["source"] == "text-layer" and results[0]["models"] == []
    assert all(line["confidence"] == 1 for line in page["lines"])


def test_degraded_copies_read_within_the_floor(tmp_path):
    files = [f for f in TRUTH["files"] if f.startswith("degraded/")]
    rate, worst, results = corpus_cer(tmp_path, files)
    print(f"degraded: CER {rate:.4f} over {len(files)} files, worst {worst}")
    assert rate <= DEGRADED_CER, (rate, worst)
    rotated = [r for r in results if "-rotated" in r["file"]]
    assert all(abs(r["pages"][0]["skew"]) > 1 for r in rotated), [r["pages"][0]["skew"] for r in rotated]


def failure(tmp_path, name):
    result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "ocr",
                             str(DOCUMENTS / "hostile" / name), "--json"], capture_output=True, text=True)
    assert result.returncode != 0, result.stdout
    return json.loads(result.stderr)


@pytest.mark.parametrize("name,words", [
    ("encrypted.pdf", "encrypted with a password"),
    ("zero-pages.pdf", "no pages"),
    ("truncated.pdf", "not a valid PDF"),
    ("bomb.tif", "above the limit"),
])
def test_a_bad_document_is_a_clear_error(tmp_path, name, words):
    error = failure(tmp_path, name)
    assert error["code"] == "decode" and words in error["message"], error


def test_bad_files_among_good_ones_fail_alone(tmp_path):
    result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "ocr", "--json",
                             str(DOCUMENTS / "hostile" / "encrypted.pdf"),
                             str(DOCUMENTS / "clean" / "doc-02-text.pdf"),
                             str(DOCUMENTS / "hostile" / "bomb.tif")], capture_output=True, text=True)
    assert result.returncode != 0
    listed = json.loads(result.stdout)
    assert [("error" in r) for r in listed] == [True, False, True]
    assert "REFERRAL LETTER" in page_texts(listed[1])[0]


def test_a_blank_page_has_no_lines_and_foreign_scripts_do_not_garble_the_rest(tmp_path):
    blank = ocr(tmp_path, "hostile/blank.png")
    assert blank["pages"][0]["status"] == "read" and blank["pages"][0]["lines"] == []
    mixed = page_texts(ocr(tmp_path, "hostile/non-latin.png"))[0].splitlines()
    assert "Diagnosis: essential hypertension." in mixed, mixed
    assert "Follow-up in four weeks." in mixed, mixed
    # Greek and Cyrillic are outside the recogniser's alphabet: such a line is either
    # dropped as unreadable or kept as read, never merged into the English lines.
    assert len([line for line in mixed if "hypertension" in line]) == 1


def test_coders_search_every_code_offline(tmp_path):
    hits = json.loads(cli(tmp_path / "data", "icd", "search", "type 2 diabetes hyperglycemia", "--json"))
    assert hits[0]["code"] == "E11.65" and hits[0]["billable"]
    by_code = json.loads(cli(tmp_path / "data", "icd", "search", "i10", "--json"))
    assert by_code[0] == {"code": "I10", "title": "Essential (primary) hypertension", "billable": True,
                          "matched": None}
    shown = json.loads(cli(tmp_path / "data", "icd", "show", "J18.9", "--json"))
    assert shown["billable"] and any("congenital pneumonia" in n for n in shown["excludes1"])
    result = subprocess.run([str(APP), "--data-dir", str(tmp_path / "data"), "icd", "show", "Q99.99", "--json"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "not an ICD-10-CM code" in json.loads(result.stderr)["message"]


def peak_memory_mib(*args):
    """The peak resident memory of one run of the app, in MiB (a fresh Python process
    waits for it, so no other child's peak is counted)."""
    probe = ("import resource, subprocess, sys; "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, str(APP), *map(str, args)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024


def searchable_scan(path, pages):
    """A scanner's "searchable PDF": each page a full-page image with its text beneath."""
    scan = Image.new("L", (1275, 1650), 245)
    ImageDraw.Draw(scan).text((120, 160), "Synthetic scanned page", fill=20)
    image = ImageReader(scan)
    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    for n in range(pages):
        pdf.drawImage(image, 0, 0, width=612, height=792)
        pdf.setFont("Helvetica", 11)
        for line in range(30):
            pdf.drawString(72, 720 - 22 * line, f"Page {n + 1}, line {line + 1}: no acute distress, vitals stable.")
        pdf.showPage()
    pdf.save()


def test_a_500_page_pdf_is_read_page_by_page_in_bounded_memory(tmp_path):
    short, long = tmp_path / "short.pdf", tmp_path / "long.pdf"
    searchable_scan(short, 20)
    searchable_scan(long, 500)
    data = tmp_path / "data"
    pages = json.loads(cli(data, "ocr", str(long), "--json"))["pages"]
    assert len(pages) == 500 and all(p["status"] == "read" for p in pages)
    assert pages[499]["lines"][0]["text"].startswith("Page 500, line 1")
    few, many = peak_memory_mib("--data-dir", data, "ocr", short), peak_memory_mib("--data-dir", data, "ocr", long)
    print(f"peak memory: {few:.0f} MiB for 20 pages, {many:.0f} MiB for 500")
    # The text of 500 pages is held (a few MiB); the pages themselves never are.
    assert many < few + 64, (few, many)
