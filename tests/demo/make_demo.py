"""Builds SecondRead's demo data: a folder laid out like the bucket.

    python tests/demo/make_demo.py OUT_DIR

Everything comes from registry packages (see tests/demo/LICENSES.md) or is drawn here;
every patient is synthetic and says so. The output is byte-for-byte reproducible.
"""

import hashlib
import io
import itertools
import json
import random
import shutil
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from skimage import data as skdata
from skimage import filters

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
PYDICOM_DATA = Path(__import__("data_store").__file__).parent / "data"

DEMO_MODEL = {"id": "demo-findings", "version": "0.1.0"}
CREATED = "2026-11-20T08:15:00Z"
FIXED_DATE = time.strptime(CREATED, "%Y-%m-%dT%H:%M:%SZ")


def subject(n):
    return f"SYN-{n:04d}"


SUBJECTS = itertools.count(1)


class Batch:
    """One batch folder and its batch.json."""

    def __init__(self, root, tenant, batch_id, kind):
        self.dir = root / tenant / batch_id
        self.dir.mkdir(parents=True)
        self.tenant, self.batch_id, self.kind = tenant, batch_id, kind
        self.items = []

    def add_bytes(self, key, payload, ai=None, sha256=None):
        (self.dir / key).write_bytes(payload)
        self.items.append(
            {
                "key": key,
                "sha256": sha256 or hashlib.sha256(payload).hexdigest(),
                "size": len(payload),
                "subject": subject(next(SUBJECTS)),
                "ai": ai,
            }
        )

    def add_file(self, key, source, ai=None):
        self.add_bytes(key, Path(source).read_bytes(), ai)

    def write(self):
        manifest = {
            "schema": "secondread.batch/1",
            "batch_id": self.batch_id,
            "tenant": self.tenant,
            "kind": self.kind,
            "created_at": CREATED,
            "items": self.items,
        }
        (self.dir / "batch.json").write_text(json.dumps(manifest, indent=2) + "\n")


def finding(text, confidence):
    return {"model": DEMO_MODEL, "finding": text, "confidence": confidence}


def png_bytes(image, **kw):
    buf = io.BytesIO()
    image.save(buf, format="PNG", **kw)
    return buf.getvalue()


def jpeg_bytes(image, quality=90, exif=None):
    buf = io.BytesIO()
    kw = {"exif": exif} if exif is not None else {}
    image.save(buf, format="JPEG", quality=quality, **kw)
    return buf.getvalue()


def png_bomb(width, height):
    """A tiny PNG that claims width×height pixels of zeros: a decompression bomb."""
    raw = zlib.compress(b"\x00" * (width + 1) * 64, 9)

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def imaging_batches(root):
    cr = Batch(root, "clinic-a", "2026-11-20-cr-0001", "imaging")
    chest = [
        ("RG1_J2KR.dcm", "No acute cardiopulmonary abnormality", 0.91),
        ("RG1_J2KI.dcm", "Possible left lower lobe opacity", 0.64),
        ("RG1_UNCR.dcm", "Cardiomegaly", 0.72),
        ("RG3_J2KR.dcm", "No acute osseous abnormality", 0.88),
        ("RG3_J2KI.dcm", "Possible fracture, distal radius", 0.57),
        ("RG3_UNCI.dcm", "No acute osseous abnormality", 0.83),
    ]
    for i, (name, text, conf) in enumerate(chest, 1):
        cr.add_file(f"cr-{i:04d}.dcm", PYDICOM_DATA / name, finding(text, conf))
    for i, (name, text, conf) in enumerate(
        [("JPEG-LL.dcm", "Normal uptake", 0.77), ("JPEG2000_UNC.dcm", "Normal uptake", 0.8),
         ("JPEG2000.dcm", "Focal uptake, right", 0.61), ("MR_small_jp2klossless.dcm", "Normal", 0.74)],
        len(chest) + 1,
    ):
        source = PYDICOM_DATA / name if (PYDICOM_DATA / name).exists() else PYDICOM_FILES / name
        cr.add_file(f"nm-{i:04d}.dcm", source, finding(text, conf))
    cr.write()

    ct = Batch(root, "clinic-a", "2026-11-21-ct-0002", "imaging")
    sections = [
        (PYDICOM_DATA / "693_J2KR.dcm", "Hypodense liver lesion, indeterminate", 0.58),
        (PYDICOM_DATA / "693_UNCI.dcm", "No acute intracranial abnormality", 0.86),
        (PYDICOM_FILES / "CT_small.dcm", "No acute abnormality", 0.9),
        (PYDICOM_DATA / "eCT_Supplemental.dcm", "Small pleural effusion", 0.66),
        (PYDICOM_DATA / "explicit_VR-UN.dcm", "No acute abnormality", 0.79),
        (PYDICOM_DATA / "bad_sequence.dcm", "Sinus mucosal thickening", 0.62),
        (PYDICOM_DATA / "MR2_J2KR.dcm", "No mass effect", 0.81),
        (PYDICOM_DATA / "MR2_UNCI.dcm", "Periventricular white matter change", 0.55),
        (PYDICOM_FILES / "MR_small_RLE.dcm", "No acute abnormality", 0.84),
        (PYDICOM_DATA / "emri_small_RLE.dcm", "No acute abnormality", 0.8),
        (PYDICOM_DATA / "emri_small_jpeg_2k_lossless.dcm", "No acute abnormality", 0.82),
        (PYDICOM_DATA / "MR-SIEMENS-DICOM-WithOverlays.dcm", "Disc bulge L4-L5", 0.6),
    ]
    for i, (path, text, conf) in enumerate(sections, 1):
        ct.add_file(f"xs-{i:04d}.dcm", path, finding(text, conf))
    ct.write()

    us = Batch(root, "clinic-b", "2026-11-22-us-0003", "imaging")
    sonography = [
        (PYDICOM_DATA / "color3d_jpeg_baseline.dcm", "Normal cardiac motion", 0.75),
        (PYDICOM_DATA / "US1_J2KR.dcm", "Gallbladder sludge", 0.63),
        (PYDICOM_DATA / "US1_UNCR.dcm", "No focal lesion", 0.8),
        (PYDICOM_DATA / "OBXXXX1A_rle.dcm", "Single live intrauterine pregnancy", 0.93),
        (PYDICOM_DATA / "OBXXXX1A_2frame.dcm", "Single live intrauterine pregnancy", 0.9),
        (PYDICOM_DATA / "JPGLosslessP14SV1_1s_1f_8b.dcm", "Simple renal cyst", 0.7),
        (PYDICOM_DATA / "gdcm-US-ALOKA-16.dcm", "No focal lesion", 0.76),
        (PYDICOM_FILES / "examples_palette.dcm", "Thyroid nodule, 9 mm", 0.59),
        (PYDICOM_DATA / "US1_J2KI.dcm", "No focal lesion", 0.78),
        (PYDICOM_DATA / "color-px.dcm", "Normal flow", 0.81),
    ]
    for i, (path, text, conf) in enumerate(sonography, 1):
        us.add_file(f"us-{i:04d}.dcm", path, finding(text, conf))
    us.write()

    photos = Batch(root, "clinic-b", "2026-11-22-photo-0004", "imaging")
    retina = Image.fromarray(skdata.retina())
    micro = Image.fromarray(skdata.microaneurysms()).convert("L")
    ihc = Image.fromarray(skdata.immunohistochemistry())
    sources = [
        ("retina", retina, "Mild non-proliferative diabetic retinopathy", 0.68),
        ("microaneurysms", micro, "Microaneurysms present", 0.74),
        ("ihc", ihc, "Positive staining", 0.6),
    ]
    for name, image, text, conf in sources:
        photos.add_bytes(f"{name}.png", png_bytes(image), finding(text, conf))
        photos.add_bytes(f"{name}.jpg", jpeg_bytes(image.convert("RGB")), finding(text, conf))
        blurred = image.filter(ImageFilter.GaussianBlur(6))
        photos.add_bytes(f"{name}-blurred.jpg", jpeg_bytes(blurred.convert("RGB")), finding(text, conf * 0.7))
        dark = Image.eval(image, lambda v: int(v * 0.18))
        photos.add_bytes(f"{name}-underexposed.jpg", jpeg_bytes(dark.convert("RGB")), finding(text, conf * 0.8))
        bright = Image.eval(image, lambda v: min(255, int(v * 2.6 + 60)))
        photos.add_bytes(f"{name}-overexposed.png", png_bytes(bright), finding(text, conf * 0.8))
    motion = filters.gaussian(skdata.retina()[..., 1], sigma=(0, 9), preserve_range=True).astype(np.uint8)
    photos.add_bytes("retina-motion.png", png_bytes(Image.fromarray(motion)), finding("Image quality too low", 0.4))
    photos.write()

    # A batch of bad input: each item must show its own error, the good ones stay usable.
    bad = Batch(root, "hospital-c", "2026-11-23-quarantine-0005", "imaging")
    bad.add_file("good-ct.dcm", PYDICOM_FILES / "CT_small.dcm", finding("No acute abnormality", 0.9))
    bad.add_file("good-mr.dcm", PYDICOM_FILES / "MR_small.dcm", finding("No acute abnormality", 0.88))
    whole = (PYDICOM_DATA / "693_UNCI.dcm").read_bytes()
    bad.add_bytes("truncated.dcm", whole[: len(whole) // 3])
    bad.add_file("no-pixel-data.dcm", PYDICOM_FILES / "rtplan.dcm")
    bad.add_bytes("zero-bytes.png", b"")
    bad.add_bytes("bomb.png", png_bomb(100_000, 100_000))
    bad.add_bytes("wrong-checksum.dcm", (PYDICOM_FILES / "MR_small.dcm").read_bytes(), sha256="0" * 64)
    bad.items.append({"key": "../escape.dcm", "sha256": "0" * 64, "size": 1, "subject": subject(999), "ai": None})
    bad.add_bytes("not-an-image.jpg", b"this is plain text, not a JPEG\n" * 20)
    bad.write()


LETTERS = [
    ("Discharge summary", "Alpha Testpatient",
     ["The patient was admitted with community-acquired pneumonia of the right lower lobe.",
      "Past history includes type 2 diabetes mellitus without complications and essential hypertension.",
      "The patient denies chest pain. No evidence of pulmonary embolism on CT angiography.",
      "Discharged on oral amoxicillin; follow up with the primary care physician in two weeks."],
     [("J18.9", "Pneumonia, unspecified organism"), ("E11.9", "Type 2 diabetes mellitus without complications"),
      ("I10", "Essential (primary) hypertension")]),
    ("Referral letter", "Bravo Samplecase",
     ["Thank you for seeing this synthetic patient with chronic migraine without aura.",
      "Family history of breast cancer in the mother. Rule out obstructive sleep apnea.",
      "Current medication: topiramate 50 mg twice daily."],
     [("G43.709", "Chronic migraine without aura, not intractable, without status migrainosus"),
      ("Z80.3", "Family history of malignant neoplasm of breast")]),
    ("Clinic note", "Charlie Fakename",
     ["Follow-up for asthma, mild persistent, uncomplicated.",
      "History of appendectomy. No wheeze on examination today.",
      "Hyperlipidemia, unspecified, treated with atorvastatin 20 mg.",
      "Suspected carpal tunnel syndrome of the right wrist."],
     [("J45.30", "Mild persistent asthma, uncomplicated"), ("E78.5", "Hyperlipidemia, unspecified")]),
    ("Lab requisition", "Delta Notreal",
     ["Diagnosis: iron deficiency anemia secondary to chronic blood loss.",
      "Please perform CBC, ferritin and iron studies.",
      "Patient reports fatigue. No evidence of gastrointestinal bleeding on last colonoscopy."],
     [("D50.0", "Iron deficiency anemia secondary to blood loss (chronic)"), ("R53.83", "Other fatigue")]),
]


def letter_lines(title, name, sentences, n):
    return [
        "SecondRead Demo Hospital - SYNTHETIC DOCUMENT, NOT A REAL PATIENT",
        title.upper(),
        f"Patient: {name} (synthetic)    Subject: {subject(500 + n)}",
        "Date of service: 2026-11-18",
        "",
        *sentences,
        "",
        "Electronically signed: Dr. Example Physician (synthetic)",
    ]


def text_pdf(lines, pages=1):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    for page in range(pages):
        c.setFont("Helvetica-Bold" if page == 0 else "Helvetica", 12)
        y = 720
        for line in lines:
            c.drawString(72, y, line)
            c.setFont("Helvetica", 12)
            y -= 22
        c.drawString(72, 60, f"Page {page + 1} of {pages}")
        c.showPage()
    c.save()
    return buf.getvalue()


def page_image(lines, width=1275, height=1650):
    page = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=30)
    y = 150
    for line in lines:
        draw.text((110, y), line, fill=20, font=font)
        y += 52
    return page


def coding_batches(root):
    rng = random.Random(7)
    docs = Batch(root, "clinic-a", "2026-11-24-docs-0006", "coding")
    for n, (title, name, sentences, codes) in enumerate(LETTERS * 2, 1):
        ai = {"model": {"id": "demo-coder", "version": "0.1.0"}, "finding": title, "confidence": 0.8,
              "codes": [{"code": c, "title": t} for c, t in codes]}
        docs.add_bytes(f"doc-{n:04d}.pdf", text_pdf(letter_lines(title, name, sentences, n), pages=1 + n % 3), ai)
    docs.write()

    scans = Batch(root, "hospital-c", "2026-11-25-scans-0007", "coding")
    for n, (title, name, sentences, codes) in enumerate(LETTERS, 1):
        ai = {"model": {"id": "demo-coder", "version": "0.1.0"}, "finding": title, "confidence": 0.7,
              "codes": [{"code": c, "title": t} for c, t in codes]}
        lines = letter_lines(title, name, sentences, 10 + n)
        first, second = page_image(lines), page_image(["(continued)", *sentences[::-1]])
        buf = io.BytesIO()
        first.save(buf, format="TIFF", compression="tiff_lzw", save_all=True, append_images=[second])
        scans.add_bytes(f"scan-{n:04d}.tif", buf.getvalue(), ai)
        noisy = first.rotate(rng.uniform(-2.5, 2.5), fillcolor=250).filter(ImageFilter.GaussianBlur(0.8))
        buf = io.BytesIO()
        noisy.convert("RGB").save(buf, format="PDF", resolution=150, creationDate=FIXED_DATE, modDate=FIXED_DATE)
        scans.add_bytes(f"scanned-{n:04d}.pdf", buf.getvalue(), ai)
    photo = page_image(letter_lines(*LETTERS[0][:3], 20)).convert("RGB")
    photo = photo.transform(photo.size, Image.Transform.QUAD, (40, 60, 10, 1600, 1250, 1630, 1200, 20), fillcolor=(90, 80, 70))
    photo = photo.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display upright
    scans.add_bytes("phone-photo-0001.jpg", jpeg_bytes(photo, quality=80, exif=exif.tobytes()),
                    {"model": {"id": "demo-coder", "version": "0.1.0"}, "finding": "Discharge summary",
                     "confidence": 0.5, "codes": [{"code": "J18.9", "title": "Pneumonia, unspecified organism"}]})
    scans.add_bytes("garbage.pdf", b"%PDF-1.7\n" + bytes(rng.getrandbits(8) for _ in range(4000)))
    scans.write()


def main():
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    imaging_batches(out)
    coding_batches(out)
    items = sum(len(json.loads(p.read_text())["items"]) for p in out.glob("*/*/batch.json"))
    print(f"demo data: {items} items in {len(list(out.glob('*/*/batch.json')))} batches under {out}")


if __name__ == "__main__":
    main()
