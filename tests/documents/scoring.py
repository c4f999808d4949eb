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
