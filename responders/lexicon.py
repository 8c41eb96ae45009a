"""The word lists behind the checks and the policy, per language.

They live in `responders/data/` as plain files a CM can read and extend:
`lexicon.<lang>.toml` (empathy, personal data, praise, …) and `defensive.<lang>.txt`
(the maintained list of defensive and blaming phrases). A team adds its own defensive
phrases in the folder named by `[checks] defensive_phrases` in config.toml (`fr.txt`,
`en.txt`), on top of the bundled ones. A language without lists gets empty ones: its
drafts are still checked for length and personal data in contact details.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ecoute.core.settings import Settings

from .text import fold, phrase_pattern

LISTS = (
    "empathy",
    "collective_empathy",
    "rules_in_first_person",
    "first_person",
    "private_channel",
    "private_markers",
    "personal_data",
    "request_words",
    "negations",
    "inviting",
    "praise",
    "dissatisfaction",
)


class LexiconError(Exception):
    """A word list cannot be read; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled word lists for one language (a `None` pattern matches nothing)."""

    language: str
    patterns: dict[str, re.Pattern[str] | None]
    defensive: re.Pattern[str] | None
    function_words: frozenset[str]
    function_pattern: re.Pattern[str] | None

    def find(self, name: str, folded: str) -> re.Match[str] | None:
        pattern = self.patterns.get(name)
        return pattern.search(folded) if pattern else None

    def has(self, name: str, folded: str) -> bool:
        return self.find(name, folded) is not None


def data_dir() -> Path:
    return Path(str(resources.files("ecoute.responders") / "data"))


def read_phrase_file(path: Path) -> list[str]:
    """One phrase per line; blank lines and lines starting with # are ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError:
        raise LexiconError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise LexiconError(f"{path}: cannot be read ({exc.strerror})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _read_lists(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{path}: is not valid UTF-8 TOML ({exc}); fix the file") from None
    lists: dict[str, list[str]] = {}
    for key, value in data.items():
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise LexiconError(f"{path}: {key} must be a list of strings")
        lists[key] = value
    return lists


@lru_cache(maxsize=16)
def _load(language: str, extra_dir: str | None) -> Lexicon:
    base = data_dir()
    lists = _read_lists(base / f"lexicon.{language}.toml")
    phrases = read_phrase_file(base / f"defensive.{language}.txt")
    if extra_dir:
        phrases += read_phrase_file(Path(extra_dir) / f"{language}.txt")
    return Lexicon(
        language=language,
        patterns={name: phrase_pattern(lists.get(name, [])) for name in LISTS},
        defensive=phrase_pattern(phrases),
        function_words=frozenset(fold(word) for word in lists.get("function_words", [])),
        function_pattern=phrase_pattern(lists.get("function_words", [])),
    )


def load_lexicon(language: str, settings: Settings | None = None) -> Lexicon:
    """The word lists for `language`, with the team's own defensive phrases if configured."""
    extra = None
    if settings is not None and settings.checks.defensive_phrases:
        extra = str(settings.resolve_path(settings.checks.defensive_phrases))
    return _load(language, extra)


def detect_language(text: str, lexicons: list[Lexicon], *, folded: bool = False) -> str | None:
    """The language whose function words dominate `text`, or None when it is unclear.

    A reply is short and mostly function words, names and contact details, so counting
    a few dozen common words tells French from English reliably; anything less clear
    than two to one is left undecided rather than reported as a wrong language.
    """
    if not folded:
        text = fold(text)
    scores = sorted(
        (
            (len(lex.function_pattern.findall(text)) if lex.function_pattern else 0, lex.language)
            for lex in lexicons
        ),
        reverse=True,
    )
    if not scores or scores[0][0] < 3:
        return None
    if len(scores) > 1 and scores[0][0] < 2 * scores[1][0]:
        return None
    return scores[0][1]
