"""Which language a comment is written in.

Choice of library: ``py3langid`` — the maintained fork of langid.py. It ships its model
inside the wheel (no download at run time, which this product's deployments cannot rely on),
it is pure Python + NumPy (no native build), it classifies a comment in ~30 µs, which keeps
the batch target of thousands of comments per second, and it can be restricted to the
languages we expect, which removes most of its mistakes on short texts. lingua is more
accurate on very short texts but its models are far larger and slower to load; the cases
where it would help (``ok``, ``merci``, ``lol``) are covered below by a short word list.

Only French and English get a drafted reply; any other language still gets a category and
goes to a person, and a text with no usable letters is ``und``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from .normalise import strip_accents

# Languages a brand's public comments in France, Québec, Morocco and English-speaking
# markets realistically arrive in. Restricting the identifier to these avoids absurd
# answers ("ok" → Arabic) on short texts.
LANGUAGES: tuple[str, ...] = ("fr", "en", "es", "de", "it", "pt", "nl", "ar")
UNDETERMINED = "und"
MIN_CONFIDENCE = 0.6
SURE_LEAD = 2

_TOKEN = re.compile(r"[a-z']+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def _wordset(block: str) -> frozenset[str]:
    return frozenset(block.split())

_FR_HINTS = _wordset(
    "merci bonjour bonsoir salut oui non nul bravo svp stp slt mdr ptdr jsp chui jpp "
    "pourquoi quand comment combien toujours encore rien jamais vraiment trop tres "
    "le la les des une est pas vous nous je tu il elle ca c'est j'ai avec pour sur dans "
    "wesh wallah tabarnak ostie criss calisse osti bon ben voila allo deja mais"
)
_EN_HINTS = _wordset(
    "thanks thank thx ty please pls plz yes no lol lmao omg wtf why when how what "
    "the you your is are was not and with for this that it's i'm don't can't my me "
    "great awesome love hate worst best never again still"
)

_lock = threading.Lock()
_identifier = None


def _load_restricted():  # -> py3langid LanguageIdentifier
    """Build py3langid's identifier for :data:`LANGUAGES` only, with a small footprint.

    The packaged model covers ~100 languages: its per-feature table (100k features x 142
    columns) and its byte automaton unpack to ~70 MB, and the packaged loader also turns
    the automaton into Python lists. Here the archive is streamed to a temporary file,
    only the columns of our languages are kept (1.6 MB instead of 28 MB), and the automaton
    stays one NumPy buffer read through a ``memoryview`` (same per-byte speed as a list,
    no copy). The scores are the library's own: we only choose what stays in memory.
    """
    import lzma
    import shutil
    import tempfile

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(MODEL_DIR / MODEL_FILE) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            classes = data["classes"].tolist()
            keep = [i for i, c in enumerate(classes) if c in LANGUAGES]
            ptc = np.ascontiguousarray(data["ptc"][:, keep], dtype=np.float32)
            pc = np.asarray(data["pc"][keep], dtype=np.float32)
            nextmove = np.ascontiguousarray(data["nextmove"])
            row = np.ascontiguousarray(data["nextmove_row"])
            output = np.ascontiguousarray(data["out_feat"], dtype=np.int32)
    code = {2: "H", 4: "I", 8: "L"}
    return LanguageIdentifier(
        ptc, pc, [classes[i] for i in keep],
        memoryview(nextmove).cast("B").cast(code[nextmove.itemsize]),
        memoryview(output).cast("B").cast("i"),
        norm_probs=True,
        tk_row=memoryview(row).cast("B").cast(code[row.itemsize]),
    )


def _get_identifier():  # -> py3langid LanguageIdentifier
    """Load the identifier once per process, lazily (a few tenths of a second)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                _identifier = _load_restricted()
    return _identifier


def warm_up_in_background() -> threading.Thread:
    """Start loading the identifier in a thread, so that loading the classifier stays fast."""
    thread = threading.Thread(target=_get_identifier, name="langid-load", daemon=True)
    thread.start()
    return thread


def _hint(folded: str) -> tuple[str | None, int]:
    """The language the frequent-word lists point to, and by how many words it leads.

    ``folded`` is the text in lower case without accents (what ``normalise`` produces).
    """
    words = _TOKEN.findall(folded)
    fr = sum(w in _FR_HINTS for w in words)
    en = sum(w in _EN_HINTS for w in words)
    if fr > en:
        return "fr", fr - en
    if en > fr:
        return "en", en - fr
    return None, 0


def detect_language(text: str, folded: str | None = None) -> str:
    """Return an ISO 639-1 code, or ``und`` when the text gives no reliable clue.

    Short texts (under 20 letters) trust a list of frequent fr/en words first, because
    character statistics on four letters are noise; so do texts where those words lead by
    ``SURE_LEAD`` or more (most French and English comments), which also keeps the batch
    path fast. Longer texts use py3langid; when it is
    unsure between French and English the word list breaks the tie. ``folded`` is the
    text already in lower case without accents, when the caller has it.
    """
    letters = len(_NOT_LETTERS.sub("", text))
    if letters == 0:
        return UNDETERMINED
    hint, lead = _hint(folded if folded is not None else strip_accents(text.lower()))
    if hint and (letters < 20 or lead >= SURE_LEAD):
        return hint
    lang, confidence = _get_identifier().classify(text)
    if confidence >= MIN_CONFIDENCE:
        return lang
    if hint:
        return hint
    return UNDETERMINED


def detect_languages(texts: Sequence[str], folded: Sequence[str] | None = None) -> list[str]:
    """Batch form of :func:`detect_language`; ``folded`` as there, one per text."""
    if folded is None:
        return [detect_language(t) for t in texts]
    return [detect_language(t, f) for t, f in zip(texts, folded, strict=True)]
