"""The coder's screen in the real app: a document's page with its text lines, the codes
suggested on this workstation with their standing, a code's evidence outlined on the
page, codes rejected, edited and added through the offline code search, all by
keyboard; the coding verdict holds what the coder kept. The worklist finds documents by
the words in them."""

from test_review import CANVAS, PAINTED, switch_role, verdicts

# The first demo letter: "community-acquired pneumonia ... type 2 diabetes mellitus
# without complications and essential hypertension. The patient denies chest pain.
# No evidence of pulmonary embolism ..."
LETTER = "doc-0001.pdf"

# Pixels of the evidence outline's colour (#ff9f1c) on the canvas.
HIGHLIGHT = """
const c = document.querySelector('canvas[data-testid=viewer-canvas]');
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 0; i < d.length; i += 4) {
  if (d[i] > 235 && d[i + 1] > 135 && d[i + 1] < 185 && d[i + 2] < 70) n++;
}
return n;
"""

ROWS = """
return [...document.querySelectorAll('ul.codes li[data-code]')].map(li => ({
  code: li.dataset.code,
  accepted: li.dataset.accepted === 'true',
  status: li.querySelector('[data-status]')?.dataset.status ?? 'present',
  selected: li.classList.contains('selected'),
  text: li.innerText,
}));
"""


def rows(app):
    return app.script(ROWS)


def selected(app):
    return next((r for r in rows(app) if r["selected"]), None)


def hits(app):
    return app.script("return [...document.querySelectorAll('[data-hit]')].map(b => b.dataset.hit);")


def choose_hit(app, code):
    """Moves the search's choice down to `code` by keyboard and takes it."""
    app.wait_until(lambda: code in hits(app), f"{code} among the search's codes", timeout=20)
    for _ in range(hits(app).index(code)):
        app.keys("ArrowDown")
    app.keys("Enter")
    app.wait_until(lambda: not app.find_all("[data-testid=code-search]"), "the search to close")


def test_a_coder_checks_each_code_against_its_evidence_and_saves_what_they_kept(launch, data_dir, shots):
    app = launch(data_dir)
    switch_role(app, "coder")
    # The workstation reads the documents in the background; the worklist follows.
    app.wait_until(
        lambda: "J18.9" in (app.text("tr[data-index='0'] [data-testid=local-codes]") or ""),
        "the first letter's codes in the worklist",
        timeout=120,
    )
    assert LETTER in app.text("tr[data-index='0']")
    shots(app, "worklist")

    app.keys("Enter")
    app.wait_for(CANVAS)
    app.wait_until(lambda: app.script(PAINTED) > 50, "the page painted")
    app.wait_until(lambda: len(rows(app)) >= 5, "the suggested codes")
    listed = {r["code"]: r for r in rows(app)}
    for code in ("J18.9", "E11.9", "I10"):
        assert listed[code]["accepted"] and listed[code]["status"] == "present", listed
    for code in ("R07.9", "I26.99"):
        assert not listed[code]["accepted"] and listed[code]["status"] == "negated", listed[code]
    assert "pdf's text layer" in app.text("[data-testid=coding-source]").lower()

    # Choosing a code outlines its words on the page.
    before = app.script(HIGHLIGHT)
    app.keys("ArrowDown")
    app.wait_until(lambda: (selected(app) or {}).get("code") == "J18.9", "the first code chosen")
    assert "pneumonia" in selected(app)["text"]
    app.wait_until(lambda: app.script(HIGHLIGHT) > before + 30, "the evidence outlined on the page")
    shots(app, "evidence")

    # Reject the hypertension, replace the diabetes code with a more specific one, and
    # add the asthma the letter does not name, each by keyboard.
    app.keys("ArrowDown", "ArrowDown")
    app.wait_until(lambda: selected(app)["code"] == "I10", "I10 chosen")
    app.keys("x")
    app.wait_until(lambda: not selected(app)["accepted"], "I10 rejected")
    app.keys("ArrowUp", "e")
    app.wait_for("[data-testid=code-search-input]")
    app.type_into("[data-testid=code-search-input]", "E11.65")
    choose_hit(app, "E11.65")
    edited = selected(app)
    assert edited["code"] == "E11.65" and "edited from E11.9" in edited["text"], edited

    app.keys("/")
    app.wait_for("[data-testid=code-search-input]")
    app.type_into("[data-testid=code-search-input]", "mild persistent asthma")
    app.wait_until(lambda: "J45.30" in hits(app), "the asthma code found by its words")
    shots(app, "search")
    choose_hit(app, "J45.30")
    assert selected(app)["code"] == "J45.30" and selected(app)["accepted"]

    app.keys("Enter")
    app.wait_until(lambda: any(v["role"] == "coder" for v in verdicts(data_dir)), "the coding verdict")
    [verdict] = [v for v in verdicts(data_dir) if v["role"] == "coder"]
    assert verdict["item"]["key"] == LETTER
    assert sorted(verdict["decision"]["accepted"]) == ["E11.65", "J18.9", "J45.30"], verdict
    assert sorted(verdict["decision"]["rejected"]) == ["E11.9", "I10", "I26.99", "R07.9"], verdict

    # Back on the letter, the screen shows the codes as the coder left them.
    app.keys("ArrowLeft")
    app.wait_until(lambda: any(r["code"] == "J45.30" for r in rows(app)), "the saved codes on reopening")
    kept = {r["code"] for r in rows(app) if r["accepted"]}
    assert kept == {"J18.9", "J45.30", "E11.65"}, rows(app)
    app.wait_until(
        lambda: "Mild persistent asthma" in next(r["text"] for r in rows(app) if r["code"] == "J45.30"),
        "an added code's title looked up again",
    )


def test_the_worklist_finds_documents_by_the_words_in_them(launch, data_dir, shots):
    app = launch(data_dir)
    switch_role(app, "coder")
    app.wait_until(
        lambda: all("…" not in t for t in app.texts("tr[data-item] [data-testid=local-codes]")),
        "every document read",
        timeout=240,
    )
    everything = len(app.find_all("tr[data-item]"))
    app.type_into("input[data-filter=text]", "amoxicil")
    app.wait_until(lambda: len(app.find_all("tr[data-item]")) < everything, "the text filter")
    keys = {t.split("\n")[0] for t in app.texts("tr[data-item] td.key")}
    # The discharge summaries: two with a text layer, and the TIFF and PDF scans read by OCR.
    assert {"doc-0001.pdf", "doc-0005.pdf", "scan-0001.tif", "scanned-0001.pdf"} <= keys, keys
    assert not keys & {"doc-0002.pdf", "doc-0003.pdf", "scan-0002.tif"}, keys
    passages = app.texts("tr[data-item] [data-testid=text-match]")
    assert len(passages) == len(keys), passages
    marks = app.texts("[data-testid=text-match] mark")
    assert len(marks) >= len(keys) and all(m.lower() == "amoxicillin" for m in marks), marks
    shots(app, "text-search")

    # A diagnosis written in other words than its code's title is marked for checking:
    # "carpal tunnel syndrome of the right wrist" is "..., right upper limb".
    app.type_into("input[data-filter=text]", "carpal")
    app.wait_until(lambda: {t.split("\n")[0] for t in app.texts("tr[data-item] td.key")} == {
        "doc-0003.pdf", "doc-0007.pdf", "scan-0003.tif", "scanned-0003.pdf"}, "the clinic notes")
    # A click on the row, as a person would: the text field lets go of the keyboard.
    app.script("document.activeElement.blur(); document.querySelector('tr[data-index=\"0\"]').click();")
    app.keys("Enter")
    app.wait_until(lambda: any(r["code"] == "G56.01" for r in rows(app)), "the clinic note's codes")
    wrist = next(r for r in rows(app) if r["code"] == "G56.01")
    assert "by meaning" in wrist["text"] and wrist["status"] == "uncertain", wrist
    assert app.script("return document.querySelectorAll('[data-testid=by-meaning]').length") == 1
    assert "matched by minilm-l6" in app.text("[data-testid=coding-source]")
    shots(app, "by-meaning")
