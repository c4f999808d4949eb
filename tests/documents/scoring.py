"""How OCR output is scored against the labelled documents' true text, for the tests'
floors and the benchmark alike: character error rate over whitespace-normalised text
(edits over the true text's characters)."""

from rapidfuzz.distance import Levenshtein


def normalised(text):
    return " ".join(text.split())


def edits(read, truth):
    """Edits between the read text and the true text, and the true text's length."""
    truth = normalised(truth)
    return Levenshtein.distance(normalised(read), truth), len(truth)


def cer(read, truth):
    e, n = edits(read, truth)
    return e / max(1, n)


def code_counts(suggested, truth):
    """True positives, false positives and false negatives of suggested (code, status)
    pairs against a document's true ones: a code suggested as present that the text
    negates is both a false positive and a miss."""
    suggested = {(s["code"], s["status"]) for s in suggested}
    truth = {(t["code"], t["status"]) for t in truth}
    return len(suggested & truth), len(suggested - truth), len(truth - suggested)


def f1(tp, fp, fn):
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    return 2 * precision * recall / max(1e-9, precision + recall), precision, recall


def corpus_code_f1(suggest, files, truth):
    """F1, precision and recall of `suggest(rel)` (a file's suggestions) over `files` of
    the labelled set, and per wrong file what was extra and what was missed."""
    codes = {d["name"]: d["codes"] for d in truth["documents"]}
    tp = fp = fn = 0
    wrong = {}
    for rel in files:
        suggested = suggest(rel)
        want = codes[truth["files"][rel]["document"]]
        t, p, n = code_counts(suggested, want)
        tp, fp, fn = tp + t, fp + p, fn + n
        got = {(s["code"], s["status"]) for s in suggested}
        want = {(c["code"], c["status"]) for c in want}
        if got != want:
            wrong[rel] = {"extra": sorted(got - want), "missed": sorted(want - got)}
    return f1(tp, fp, fn), wrong
