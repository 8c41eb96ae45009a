"""Text normalisation shared by the model and the flag detectors.

Social comments carry a lot of surface noise that says nothing about what the comment
*is*: a link, a handle, ``SOOOOO`` versus ``so``, ``très`` versus ``tres`` (one of our
evaluation sets has its accents stripped by its collectors, and many people on phones
never type them). Folding that noise into a few stable tokens lets a linear model
trained on a few thousand comments generalise to real ones.

Words from the sentiment and failure lists of :mod:`.lexicon` add marker tokens at the end,
so that praise or a failure in words the corpus never used still counts. The output keeps
the signals that matter for sorting: ``?`` and ``!`` survive, shouting
(a word in capitals) becomes a marker token, and emoji are mapped to a coarse mood token
*in addition to* being kept, so that 😡 and 🤬 share evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .lexicon import lexicon_markers

URL_TOKEN = " xurl "
USER_TOKEN = " xuser "
SHOUT_TOKEN = " xshout "
EMOJI_NEG = " xemoneg "
EMOJI_POS = " xemopos "
EMOJI_OTHER = " xemo "

_URL = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:com|fr|ca|ma|net|org|ly|co)/\S*", re.I)
_MENTION = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SHOUT = re.compile(r"\b[A-ZÀ-Ý]{3,}\b")
_ELONGATION = re.compile(r"(\w)\1{2,}")
_PUNCT_RUN = re.compile(r"([!?.])\1+")
_SPACES = re.compile(r"\s+")
# The combining-mark blocks (what NFD splits off accented letters) and variation selectors.
_COMBINING = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f]"
)
# Emoji and pictographs: the supplementary planes plus the common symbol blocks.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\u2764\ufe0f]")

_NEGATIVE_EMOJI = set("😡🤬😠😤👎💩😒🙄😞😔😢😭😩😫🤡🖕😑😐🤦😾☹😣😖🤮🤢💀😬⚠❌🔥")
_POSITIVE_EMOJI = set("😀😃😄😁😆😊🙂😍🥰😘❤💕💖💯👍👏🙏🎉🥳✨⭐🌟😎🤩💪✅☺😇🤗💙💚🧡💛")


def _emoji_token(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NEGATIVE_EMOJI:
        return f" {char}{EMOJI_NEG}"
    if char in _POSITIVE_EMOJI:
        return f" {char}{EMOJI_POS}"
    if char == "\ufe0f":
        return ""
    return f" {char}{EMOJI_OTHER}"


def strip_accents(text: str) -> str:
    """Remove diacritics (``é`` → ``e``) but keep the base letters and emoji."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFD", text))


def normalise(text: str) -> str:
    """Return the canonical form of one comment used for features.

    Steps: URLs and @mentions to placeholders, hashtags split into words, a marker for
    words in capitals, emoji kept and tagged by mood, letters repeated three times or more
    cut to two (``nuuuul`` → ``nuul``), runs of ``!!!`` cut to two, lower case, accents
    removed, whitespace collapsed. Idempotent enough that running it twice is harmless.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    if "/" in text or "www." in text.lower():  # every URL the pattern knows has one of these
        text = _URL.sub(URL_TOKEN, text)
    text = _MENTION.sub(USER_TOKEN, text)
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    if _SHOUT.search(text):
        text = text + SHOUT_TOKEN
    text = _EMOJI.sub(_emoji_token, text)
    text = _ELONGATION.sub(r"\1\1", text)
    text = _PUNCT_RUN.sub(r"\1\1", text)
    text = strip_accents(text.lower())
    text = text.replace("’", "'").replace("`", "'")
    text = _SPACES.sub(" ", text).strip()
    markers = lexicon_markers(text)
    return f"{text} {markers}" if markers else text


def normalise_many(texts: Iterable[str]) -> list[str]:
    """Vectorised-friendly wrapper: the pipeline's first step calls this on a batch."""
    return [normalise(t) for t in texts]
