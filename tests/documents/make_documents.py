"""The labelled set of synthetic clinical documents OCR and coding are measured on.

Every document is made up (no real patient): a letter, a discharge summary, a lab
requisition or a clinic note, with its exact text and the ICD-10-CM codes a coder would
assign, including diagnoses the text negates or only suspects (which must not be coded
as present). Each is written out as:

  clean/    rendered pages (PNG, 200 dpi letter size), a PDF with a text layer, a
            scanned (image-only) PDF, a multi-page TIFF
  degraded/ copies a scanner or a phone would make: rotated, blurred, noisy, JPEG,
            in perspective like a phone photo (with an EXIF orientation)
  coding/   more documents for code extraction: a text-layer PDF and a JPEG scan each

and truth.json says, per file, the text of each page and the codes.

  hostile/  what a coder's inbox also holds: an encrypted PDF, a PDF with no pages, a
            truncated PDF, a TIFF that claims to be 60000 × 60000 pixels (a bomb), a
            blank page, and a page mixing Greek and Cyrillic lines with English ones

Usage: make_documents.py OUT
"""

import io
import json
import random
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

FONTS = Path("/usr/share/fonts/truetype/dejavu")
WIDTH, HEIGHT = 1700, 2200  # letter at 200 dpi
FIXED_DATE = "2026-11-18T00:00:00"

# (kind, title, lines, codes). A code's status: present, negated, uncertain, history,
# family (family history: coded with a Z80-Z84 code only when the text says so).
DOCUMENTS = [
    ("letter", "Discharge summary", [
        "Admitted with community-acquired pneumonia of the right lower lobe.",
        "Type 2 diabetes mellitus with hyperglycemia (E11.65), insulin started.",
        "Essential hypertension, controlled on lisinopril 10 mg daily.",
        "The patient denies chest pain. No evidence of pulmonary embolism.",
        "Discharged on oral amoxicillin; review in two weeks.",
    ], [("J18.9", "present"), ("E11.65", "present"), ("I10", "present"),
        ("R07.9", "negated"), ("I26.99", "negated")]),
    ("letter", "Referral letter", [
        "Thank you for seeing this patient with chronic migraine without aura.",
        "Family history of breast cancer in the mother.",
        "Rule out obstructive sleep apnea; please arrange a sleep study.",
        "Current medication: topiramate 50 mg twice daily.",
    ], [("G43.709", "present"), ("Z80.3", "present"), ("G47.33", "uncertain")]),
    ("note", "Clinic note", [
        "Follow-up for mild persistent asthma, uncomplicated (J45.30).",
        "History of appendectomy. No wheeze on examination today.",
        "Hyperlipidemia, unspecified, treated with atorvastatin 20 mg.",
        "Denies shortness of breath at rest.",
    ], [("J45.30", "present"), ("E78.5", "present"), ("R06.02", "negated"), ("R06.2", "negated")]),
    ("requisition", "Lab requisition", [
        "Diagnosis: iron deficiency anemia secondary to chronic blood loss, D50.0.",
        "Please perform CBC, ferritin and iron studies.",
        "Patient reports fatigue. No evidence of gastrointestinal bleeding.",
        "Hypothyroidism, unspecified (E03.9) on levothyroxine.",
    ], [("D50.0", "present"), ("R53.83", "present"), ("K92.2", "negated"), ("E03.9", "present")]),
    ("letter", "Discharge summary", [
        "Acute kidney failure, unspecified, resolved with fluids (N17.9).",
        "Chronic obstructive pulmonary disease with acute exacerbation.",
        "Atrial fibrillation, unspecified; anticoagulation continued.",
        "No evidence of urinary tract infection on culture.",
        "History of myocardial infarction in 2019.",
    ], [("N17.9", "present"), ("J44.1", "present"), ("I48.91", "present"),
        # An old infarction is coded (I25.2 says "old" itself), so it stands present.
        ("N39.0", "negated"), ("I25.2", "present")]),
    ("note", "Clinic note", [
        "Major depressive disorder, single episode, moderate (F32.1).",
        "Generalized anxiety disorder. Sleep is poor.",
        "Denies suicidal ideation. No evidence of psychosis.",
        "Obesity, unspecified; BMI 32. Diet advice given.",
    ], [("F32.1", "present"), ("F41.1", "present"), ("R45.851", "negated"), ("F29", "negated"),
        ("E66.9", "present")]),
    ("requisition", "Imaging request", [
        "Low back pain for six weeks (M54.50), worse on bending.",
        "Rule out lumbar disc herniation; MRI lumbar spine requested.",
        "Osteoarthritis of the right knee, primary (M17.11).",
        "No history of trauma. Vitamin D deficiency, unspecified.",
    ], [("M54.50", "present"), ("M51.26", "uncertain"), ("M17.11", "present"), ("E55.9", "present")]),
    ("letter", "Consultation letter", [
        "Gastro-esophageal reflux disease without esophagitis, K21.9.",
        "Irritable bowel syndrome with diarrhea.",
        "Family history of colon cancer in the father; colonoscopy advised.",
        "The patient denies weight loss or blood in the stool.",
    ], [("K21.9", "present"), ("K58.0", "present"), ("Z80.0", "present"),
        ("R63.4", "negated"), ("K92.1", "negated")]),
]

# Documents for code extraction only, written before the extractor was tuned on the ones
# above: each is a text-layer PDF and a JPEG scan under coding/, so the OCR floors
# (clean/, degraded/) keep their files.
CODING_DOCUMENTS = [
    ("note", "Emergency department note", [
        "Chief complaint: headache and nausea for two days.",
        "Urinary tract infection, started on nitrofurantoin.",
        "No fever. Denies vomiting.",
        "Possible migraine; review by neurology.",
    ], [("R51.9", "present"), ("R11.0", "present"), ("N39.0", "present"), ("R50.9", "negated"),
        ("R11.10", "negated"), ("G43.909", "uncertain")]),
    ("letter", "Discharge summary", [
        "Admitted with an exacerbation of COPD (J44.1).",
        "Congestive heart failure, unspecified, with fluid overload.",
        "Chronic kidney disease, stage 3a.",
        "Past history of deep vein thrombosis; no recurrence.",
    ], [("J44.1", "present"), ("I50.9", "present"), ("E87.70", "present"), ("N18.31", "present"),
        ("Z86.718", "present")]),
    ("note", "Clinic note", [
        "Hypertension and hyperlipidemia, both stable.",
        "Gout, unspecified, flare of the left big toe last month.",
        "Screening shows no cataract.",
        "Seasonal allergic rhinitis.",
        "Suspected carpal tunnel syndrome of the right wrist.",
    ], [("I10", "present"), ("E78.5", "present"), ("M10.9", "present"), ("H26.9", "negated"),
        ("J30.2", "present"), ("G56.01", "uncertain")]),
    ("requisition", "Urology request", [
        "Clinical details: urinary frequency and dysuria (R35.0, R30.0).",
        "Rule out prostate cancer; PSA requested.",
        "Benign prostatic hyperplasia with lower urinary tract symptoms.",
        "No hematuria reported.",
    ], [("R35.0", "present"), ("R30.0", "present"), ("C61", "uncertain"), ("N40.1", "present"),
        ("R31.9", "negated")]),
    # Written (stop 17) before diagnosis phrases were also matched by meaning, so they
    # measure that matching on text it was not tuned on.
    ("letter", "Discharge summary", [
        "Admitted with acute cholecystitis; laparoscopic cholecystectomy performed.",
        "Type 1 diabetes mellitus without complications (E10.9).",
        "No evidence of pancreatitis on imaging.",
        "History of breast cancer, treated in 2015.",
    ], [("K81.0", "present"), ("E10.9", "present"), ("K85.90", "negated"),
        ("Z85.3", "present")]),
    ("note", "Clinic note", [
        "Iron deficiency anemia, unspecified, on oral iron.",
        "Chronic sinusitis; no nasal polyps.",
        "Probable viral gastroenteritis.",
        "Insomnia, unspecified.",
    ], [("D50.9", "present"), ("J32.9", "present"), ("J33.9", "negated"),
        ("A08.4", "uncertain"), ("G47.00", "present")]),
    ("requisition", "Cardiology request", [
        "Clinical details: palpitations and dizziness (R00.2, R42).",
        "Known coronary artery disease; rule out unstable angina.",
        "Family history of sudden cardiac death.",
        "Denies syncope.",
    ], [("R00.2", "present"), ("R42", "present"), ("I25.10", "present"),
        ("I20.0", "uncertain"), ("Z82.41", "present"), ("R55", "negated")]),
    ("letter", "Referral letter", [
        "Rheumatoid arthritis, on methotrexate.",
        "Osteoporosis without current pathological fracture.",
        "She denies fever.",
        "Heart murmur noted; echocardiogram requested.",
        "Past history of pulmonary embolism.",
    ], [("M06.9", "present"), ("M81.0", "present"), ("R50.9", "negated"),
        ("R01.1", "present"), ("Z86.711", "present")]),
]

HEADER = "SecondRead Demo Hospital - SYNTHETIC DOCUMENT, NOT A REAL PATIENT"


def document_lines(n, title, lines):
    return [
        HEADER,
        title.upper(),
        f"Patient: Synthetic Subject {1000 + n}   Date of service: 2026-11-{10 + n:02d}",
        *lines,
        "Electronically signed: Dr. Example Physician (synthetic)",
    ]


def render(lines, font_name, size, rng):
    page = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONTS / font_name), size)
    bold = ImageFont.truetype(str(FONTS / font_name.replace(".ttf", "-Bold.ttf")), size + 4)
    y = 160
    for i, line in enumerate(lines):
        draw.text((150, y), line, fill=(20, 20, 20), font=bold if i == 1 else font)
        y += int(size * 1.9) + rng.randint(0, 6)
    return page


def text_pdf(lines):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    y = 720
    for i, line in enumerate(lines):
        c.setFont("Helvetica-Bold" if i == 1 else "Helvetica", 11)
        c.drawString(54, y, line)
        y -= 20
    c.showPage()
    c.save()
    return buf.getvalue()


def image_pdf(page):
    buf = io.BytesIO()
    page.save(buf, format="PDF", resolution=200, creationDate=FIXED_DATE, modDate=FIXED_DATE)
    return buf.getvalue()


def jpeg(page, quality, exif=None):
    buf = io.BytesIO()
    if exif is None:
        page.save(buf, format="JPEG", quality=quality)
    else:
        page.save(buf, format="JPEG", quality=quality, exif=exif)
    return buf.getvalue()


def png(page):
    buf = io.BytesIO()
    page.save(buf, format="PNG")
    return buf.getvalue()


def noisy(page, rng, sigma):
    pixels = np.asarray(page, dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, sigma, pixels.shape[:2])
    return Image.fromarray(np.clip(pixels + noise[..., None], 0, 255).astype(np.uint8))


def phone_photo(page, rng):
    """A photo of the page held at a slight angle, on a desk, stored sideways with an
    EXIF orientation that turns it upright (as phones do)."""
    w, h = page.size
    def j():
        return rng.randint(20, 70)

    quad = (j(), j(), j(), h - j(), w - j(), h - j(), w - j(), j())
    shot = page.transform(page.size, Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC,
                          fillcolor=(95, 85, 75))
    shot = shot.filter(ImageFilter.GaussianBlur(0.7))
    shot = Image.eval(shot, lambda v: int(v * 0.88 + 12))
    stored = shot.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90° clockwise to show upright
    return jpeg(stored, 85, exif.tobytes())


def zero_page_pdf():
    """A well-formed PDF (catalogue, page tree, cross-reference table) whose page tree
    is empty."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


NON_LATIN = [
    "Referral letter",
    "Diagnosis: essential hypertension.",
    "Διάγνωση: υπέρταση, χωρίς επιπλοκές.",
    "Диагноз: гипертония без осложнений.",
    "Follow-up in four weeks.",
]


def tiff_bomb():
    """A valid TIFF header and directory for a 60000 × 60000 greyscale page, with 16
    bytes of pixel data: a decoder that trusts the header allocates 3.6 GB."""
    width = height = 60000
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1),
               (278, 4, 1, height), (279, 4, 1, width * height)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + bytes(16)


def hostile(out, rng):
    (out / "hostile").mkdir()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1,
                      encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(72, 720, "Encrypted synthetic document")
    c.showPage()
    c.save()
    (out / "hostile/encrypted.pdf").write_bytes(buf.getvalue())
    (out / "hostile/zero-pages.pdf").write_bytes(zero_page_pdf())
    whole = image_pdf(render(document_lines(1, "Discharge summary", DOCUMENTS[0][2]), "DejaVuSans.ttf", 30, rng))
    (out / "hostile/truncated.pdf").write_bytes(whole[: len(whole) // 3])
    (out / "hostile/bomb.tif").write_bytes(tiff_bomb())
    (out / "hostile/blank.png").write_bytes(png(Image.new("RGB", (WIDTH, HEIGHT), "white")))
    (out / "hostile/non-latin.png").write_bytes(png(render(NON_LATIN, "DejaVuSans.ttf", 32, rng)))


def main():
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    (out / "clean").mkdir(parents=True)
    (out / "degraded").mkdir()
    rng = random.Random(20261202)
    truth = {"documents": [], "files": {}}
    fonts = ["DejaVuSerif.ttf", "DejaVuSans.ttf"]
    for n, (kind, title, body, codes) in enumerate(DOCUMENTS, 1):
        lines = document_lines(n, title, body)
        name = f"doc-{n:02d}"
        truth["documents"].append({"name": name, "kind": kind, "title": title,
                                   "codes": [{"code": c, "status": s} for c, s in codes]})
        page = render(lines, fonts[n % 2], 30 + (n % 3) * 2, rng)
        files = {
            f"clean/{name}.png": png(page),
            f"clean/{name}-text.pdf": text_pdf(lines),
            f"clean/{name}-scan.pdf": image_pdf(page),
            f"degraded/{name}-rotated.png": png(page.rotate(rng.choice([-3, -2, 2, 3]), resample=Image.Resampling.BICUBIC,
                                                           fillcolor="white")),
            f"degraded/{name}-blurred.png": png(page.filter(ImageFilter.GaussianBlur(1.2))),
            f"degraded/{name}-noisy.png": png(noisy(page, rng, 18)),
            f"degraded/{name}-jpeg.jpg": jpeg(page, 35),
            f"degraded/{name}-photo.jpg": phone_photo(page, rng),
        }
        for rel, data in files.items():
            (out / rel).write_bytes(data)
            truth["files"][rel] = {"document": name, "pages": [lines]}
    # A two-page TIFF: the first two documents, as a fax would send them.
    first, second = (document_lines(n, t, b) for n, (_, t, b, _) in list(enumerate(DOCUMENTS, 1))[:2])
    pages = [render(first, fonts[0], 30, rng).convert("L"), render(second, fonts[1], 30, rng).convert("L")]
    pages[0].save(out / "clean/fax.tif", format="TIFF", compression="tiff_lzw", save_all=True,
                  append_images=pages[1:])
    truth["files"]["clean/fax.tif"] = {"document": "doc-01", "pages": [first, second]}
    hostile(out, rng)
    (out / "coding").mkdir()
    for n, (kind, title, body, codes) in enumerate(CODING_DOCUMENTS, len(DOCUMENTS) + 1):
        lines = document_lines(n, title, body)
        name = f"doc-{n:02d}"
        truth["documents"].append({"name": name, "kind": kind, "title": title,
                                   "codes": [{"code": c, "status": s} for c, s in codes]})
        page = render(lines, fonts[n % 2], 30 + (n % 3) * 2, rng)
        for rel, data in {f"coding/{name}-text.pdf": text_pdf(lines),
                          f"coding/{name}-jpeg.jpg": jpeg(page, 35)}.items():
            (out / rel).write_bytes(data)
            truth["files"][rel] = {"document": name, "pages": [lines]}
    # What a coder must be warned of: a header code written where a billable one is
    # needed, two codes an Excludes1 note keeps apart, and a code whose zero came out
    # as the letter O. Not labelled: the tests check these flags one by one.
    (out / "coding/flags-text.pdf").write_bytes(text_pdf(document_lines(0, "Clinic note", [
        "Diabetes follow-up, coded E11.6 on the last visit.",
        "Type 1 diabetes mellitus (E10.9) and type 2 diabetes mellitus (E11.9) both listed.",
        "Hypothyroidism on levothyroxine (EO3.9).",
    ])))
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    print(f"labelled documents: {len(truth['files'])} files under {out}")


if __name__ == "__main__":
    main()
