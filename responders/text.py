"""Text helpers shared by the checks, the policy and the knowledge base.

Every comparison a CM expects to "just work" (a phrase typed with or without accents,
with a straight or a curly apostrophe, in upper or lower case) goes through `fold`, so
that the word lists in `responders/data/` can be written the way people write.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = {
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    "‑": "-", "–": "-", "—": "-",
}  # fmt: skip
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class _Folding(dict[int, str]):
    """A `str.translate` table filled on first sight of each character: curly quotes and
    dashes made plain, accents and ligatures decomposed and dropped."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _SPECIAL:
            value = _SPECIAL[char]
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        self[code] = value
        return value


_FOLDING = _Folding()


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes and single spaces."""
    text = text.lower()
    if not text.isascii():
        text = text.translate(_FOLDING)
    return _SPACES.sub(" ", text).strip()


def sentences(text: str) -> list[str]:
    """Split a short reply into sentences: good enough for rules that look at one request."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def words(folded: str) -> list[str]:
    """The words of an already folded text (elisions such as "j'" kept as their own word)."""
    out: list[str] = []
    for word in _WORD.findall(folded):
        head, _, tail = word.partition("'")
        if tail:
            out.extend((head + "'", tail))
        else:
            out.append(word)
    return out


def phrase_pattern(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex matching any of the folded phrases at word boundaries.

    A phrase ending in `*` matches any word that starts with it ("apolog*" matches
    "apologise" and "apologies"), so the lists stay short and readable.
    """
    parts: list[str] = []
    for phrase in phrases:
        folded = fold(phrase)
        if not folded:
            continue
        prefix = folded.endswith("*")
        body = re.escape(folded.rstrip("*").strip()).replace(r"\ ", r"\s+")
        tail = r"\w*(?!\w)" if prefix else (r"(?!\w)" if folded[-1].isalnum() else "")
        parts.append(body + tail)
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"(?<![\w@])(?:" + "|".join(parts) + ")")
