"""How long a reply is, the way each platform counts it.

X does not count characters: it counts a *weighted* length (twitter-text configuration
v3). The text is NFC-normalised; a URL counts 23 whatever its real length (it becomes a
t.co link); an emoji, even a sequence of several code points joined by zero-width
joiners, skin tones or a variation selector, counts 2; any other code point counts 1 if
it falls in the Latin, Greek, Cyrillic, Hebrew, Arabic, … blocks up to U+10FF or in a
few general punctuation ranges (spaces, dashes, curly quotes, primes), and 2 otherwise
(CJK, most symbols). The limit is 280. A draft that passes here is never refused by X
for its length; where our URL detection is approximate (rare top-level domains), it
errs on the side of counting more, not less.

Facebook counts plain characters; a comment may hold 8,000 and a Messenger message 2,000.
"""

from __future__ import annotations

import re
import unicodedata

from ecoute.core.domain import Platform

X_LIMIT = 280
X_URL_LENGTH = 23
FACEBOOK_LIMIT = 8_000
FACEBOOK_PRIVATE_LIMIT = 2_000
X_DM_LIMIT = 10_000

#: Code point ranges weighing 1 (twitter-text v3, weight 100 at scale 100); the rest weigh 2.
LIGHT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x10FF),
    (0x2000, 0x200D),
    (0x2010, 0x201F),
    (0x2032, 0x2037),
)
DEFAULT_WEIGHT = 2

# Generic top-level domains X links without a protocol; two-letter country codes are
# accepted as a whole below.
_GTLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "info",
        "biz",
        "edu",
        "gov",
        "mil",
        "int",
        "name",
        "pro",
        "aero",
        "coop",
        "museum",
        "mobi",
        "asia",
        "tel",
        "travel",
        "jobs",
        "cat",
        "app",
        "dev",
        "page",
        "blog",
        "shop",
        "store",
        "online",
        "site",
        "tech",
        "cloud",
        "news",
        "club",
        "xyz",
        "top",
        "live",
        "link",
        "help",
        "email",
        "support",
        "media",
        "agency",
        "digital",
        "world",
        "today",
        "space",
        "website",
        "life",
        "social",
        "services",
        "solutions",
        "network",
        "systems",
        "group",
        "company",
        "center",
        "care",
        "fun",
        "art",
        "love",
        "team",
        "energy",
        "bank",
        "insurance",
        "health",
        "paris",
        "quebec",
        "bzh",
        "alsace",
        "corsica",
        "eus",
        "berlin",
        "london",
        "nyc",
    ]
)
_TLD = r"(?:" + "|".join(sorted(_GTLDS, key=len, reverse=True)) + r"|[a-z]{2})"
_LABEL = r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
_PATH_CHARS = r"[a-z0-9!*';:=+,.$/%#\[\]\-–_~@|&()À-ÖØ-öø-ÿ]"
_PATH_END = r"[a-z0-9=_#/+\-À-ÖØ-öø-ÿ)]"
_URL = re.compile(
    r"(?P<before>^|[^a-z0-9@＠$#＃])"
    r"(?P<url>(?P<protocol>https?://)?"
    rf"(?P<domain>(?:{_LABEL}\.)+{_TLD})(?![a-z0-9@+-])"
    r"(?::\d+)?"
    rf"(?:/(?:{_PATH_CHARS}*{_PATH_END})?)?"
    r"(?:\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/])?)",
    re.IGNORECASE,
)

_EMOJI_BASE = (
    "\U0001f000-\U0001faff"
    "\u2600-\u27bf"
    "\u2300-\u23ff"
    "\u2b00-\u2bff"
    "\u2190-\u21ff"
    "\u25a0-\u25ff"
    "\u2900-\u297f"
    "\u3030\u303d\u3297\u3299\u203c\u2049\u2122\u2139\u24c2"
)
_EMOJI = re.compile(
    r"[\U0001f1e6-\U0001f1ff]{2}"  # flags: a pair of regional indicators
    r"|[0-9#*]\ufe0f?\u20e3"  # keycaps
    r"|(?:[\u00a9\u00ae]\ufe0f|[" + _EMOJI_BASE + r"])"
    r"[\ufe0e\ufe0f]?[\U0001f3fb-\U0001f3ff]?[\U000e0020-\U000e007f]*"
    r"(?:\u200d(?:[" + _EMOJI_BASE + r"]|[\u00a9\u00ae]\ufe0f?|\u2640|\u2642)"
    r"[\ufe0e\ufe0f]?[\U0001f3fb-\U0001f3ff]?)*"
)


_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = re.compile(r"[0-9#*]\ufe0f?\u20e3")
_KEYCAP_NEXT = frozenset(("\ufe0f", "\u20e3"))


def _weight(code_point: int) -> int:
    for start, end in LIGHT_RANGES:
        if start <= code_point <= end:
            return 1
    return DEFAULT_WEIGHT


def _url_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        start, end = match.span("url")
        if not match.group("protocol"):
            if match.group("before") in "-_./" and match.group("before"):
                continue
            if not match.group("domain").isascii():
                continue
        spans.append((start, end))
    return spans


_DOTTED = re.compile(r"[^\W_]\.[^\W_]")
_HEAVY = re.compile(r"[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")


def x_weighted_length(text: str) -> int:
    """The length X counts for a post, against its limit of 280."""
    text = unicodedata.normalize("NFC", text)
    spans = _url_spans(text) if _DOTTED.search(text) else []
    if not _HEAVY.search(text) and not _KEYCAP.search(text):
        # Every code point weighs 1: only the URLs change the count.
        return len(text) + sum(X_URL_LENGTH - (end - start) for start, end in spans)
    urls = dict(spans)
    total = 0
    index = 0
    size = len(text)
    while index < size:
        end = urls.get(index)
        if end is not None:
            total += X_URL_LENGTH
            index = end
            continue
        char = text[index]
        if ord(char) > 0x7F or (
            char in _KEYCAP_BASES and text[index + 1 : index + 2] in _KEYCAP_NEXT
        ):
            emoji = _EMOJI.match(text, index)
            if emoji:
                total += DEFAULT_WEIGHT
                index = emoji.end()
                continue
        total += _weight(ord(char))
        index += 1
    return total


def weighted_length(text: str, platform: str) -> int:
    """The length the platform counts: weighted on X, characters elsewhere."""
    if platform == Platform.X:
        return x_weighted_length(text)
    return len(unicodedata.normalize("NFC", text))


def limit_for(platform: str, *, private: bool = False) -> int:
    """The longest text the platform accepts for a public reply or a private message."""
    if platform == Platform.X:
        return X_DM_LIMIT if private else X_LIMIT
    if platform == Platform.FACEBOOK:
        return FACEBOOK_PRIVATE_LIMIT if private else FACEBOOK_LIMIT
    # The demo feed replays X and Facebook comments; hold it to the stricter rule.
    return X_LIMIT
