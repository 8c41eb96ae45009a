"""The knowledge base: the answers a CM has written once, found again by similarity.

A service question deserves the answer right away when it exists and is public (craft
rule 4). The CM keeps questions and answers per language in a TOML file
(`knowledge.<lang>.toml` in `responders/data/`, or `fr.toml`/`en.toml` in the folder named
by `[knowledge] path`); an admin's edit from the console is kept as
`<data_dir>/knowledge/<lang>.toml` and takes precedence over both, so the installed
package is never written to. Several phrasings per entry make matching robust. A comment is
compared to every phrasing with TF-IDF weighted cosine similarity over word stems and
character 4-grams, which tolerates typos, missing accents and inflections; only a match
above `[knowledge] min_similarity` that clearly beats the next entry is used — otherwise
the reply offers help in private rather than risk a wrong answer in public.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ecoute.core.settings import Settings

from .lexicon import data_dir, load_lexicon
from .text import fold, words

#: How much the best entry must beat the second one to be trusted.
MARGIN = 0.05
_NOISE = re.compile(r"https?://\S+|[@#]\w+")


class KnowledgeError(Exception):
    """A knowledge file cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    id: str
    language: str
    questions: tuple[str, ...]
    answer: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class KnowledgeMatch:
    entry: KnowledgeEntry
    score: float
    question: str


def _features(text: str, stopwords: frozenset[str]) -> Counter[str]:
    tokens = [t.rstrip("'") for t in words(fold(_NOISE.sub(" ", text)))]
    tokens = [t for t in tokens if t and t not in stopwords and len(t) > 1]
    features: Counter[str] = Counter()
    for token in tokens:
        features["w:" + token[:6]] += 1
        padded = f" {token} "
        for i in range(len(padded) - 3):
            features["g:" + padded[i : i + 4]] += 0.25
    return features


class KnowledgeBase:
    """Questions and answers for each language, indexed for similarity search."""

    def __init__(self, entries: Iterable[KnowledgeEntry]) -> None:
        self.entries = list(entries)
        self._index: dict[str, _LanguageIndex] = {}
        by_language: dict[str, list[KnowledgeEntry]] = defaultdict(list)
        for entry in self.entries:
            by_language[entry.language].append(entry)
        for language, items in by_language.items():
            self._index[language] = _LanguageIndex(language, items)

    def match(self, text: str, language: str) -> KnowledgeMatch | None:
        """The best entry for `text` with its score, or None when the language has none."""
        index = self._index.get(language)
        return index.best(text) if index else None

    def answer(self, text: str, language: str, min_similarity: float) -> KnowledgeMatch | None:
        """The entry to answer with, only when the match is confident."""
        index = self._index.get(language)
        if index is None:
            return None
        ranked = index.ranked(text)
        if not ranked or ranked[0].score < min_similarity:
            return None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < MARGIN:
            return None
        return ranked[0]


class _LanguageIndex:
    def __init__(self, language: str, entries: list[KnowledgeEntry]) -> None:
        lexicon = load_lexicon(language)
        self.stopwords = lexicon.function_words
        self.rows: list[tuple[KnowledgeEntry, str]] = [
            (entry, question) for entry in entries for question in entry.questions
        ]
        vectors = [_features(question, self.stopwords) for _, question in self.rows]
        df: Counter[str] = Counter()
        for vector in vectors:
            df.update(vector.keys())
        n = len(vectors)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for row, vector in enumerate(vectors):
            weighted = {t: c * self.idf[t] for t, c in vector.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            for term, weight in weighted.items():
                self.postings[term].append((row, weight / norm))

    def _scores(self, text: str) -> dict[int, float]:
        vector = _features(text, self.stopwords)
        weighted = {t: c * self.idf[t] for t, c in vector.items() if t in self.idf}
        if not weighted:
            return {}
        # Unknown terms still count in the comment's norm: a long comment about
        # something else must not look like a short known question.
        unknown = sum(c for t, c in vector.items() if t not in self.idf)
        norm = math.sqrt(sum(w * w for w in weighted.values()) + unknown * unknown) or 1.0
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weighted.items():
            for row, row_weight in self.postings[term]:
                scores[row] += weight * row_weight
        return {row: score / norm for row, score in scores.items()}

    def ranked(self, text: str) -> list[KnowledgeMatch]:
        best: dict[str, KnowledgeMatch] = {}
        for row, score in self._scores(text).items():
            entry, question = self.rows[row]
            if entry.id not in best or score > best[entry.id].score:
                best[entry.id] = KnowledgeMatch(entry, score, question)
        return sorted(best.values(), key=lambda m: m.score, reverse=True)

    def best(self, text: str) -> KnowledgeMatch | None:
        ranked = self.ranked(text)
        return ranked[0] if ranked else None


def _entries_from(path: Path, language: str) -> list[KnowledgeEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{path}: is not valid UTF-8 TOML ({exc}); fix the file") from None
    return parse_knowledge(text, language, str(path))


def parse_knowledge(text: str, language: str, source: str) -> list[KnowledgeEntry]:
    """The entries of one language's file, or KnowledgeError naming `source` and the entry;
    the console validates an admin's edit with it before saving."""
    path = source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path}: is not valid UTF-8 TOML ({exc}); fix the file") from None
    entries: list[KnowledgeEntry] = []
    seen: set[str] = set()
    for number, item in enumerate(data.get("entry", []), start=1):
        where = f"{path}: entry {number}"
        if not isinstance(item, dict):
            raise KnowledgeError(f"{where}: must be a [[entry]] table")
        ident = str(item.get("id") or f"{language}-{number}")
        questions = item.get("questions")
        answer = item.get("answer")
        if (
            not isinstance(questions, list)
            or not questions
            or not all(isinstance(q, str) and q.strip() for q in questions)
        ):
            raise KnowledgeError(f"{where} ({ident}): 'questions' must list at least one question")
        if not isinstance(answer, str) or not answer.strip():
            raise KnowledgeError(f"{where} ({ident}): 'answer' is missing or empty")
        if ident in seen:
            raise KnowledgeError(f"{where}: id {ident!r} is used twice; ids must be unique")
        seen.add(ident)
        link = item.get("link")
        entries.append(
            KnowledgeEntry(
                id=ident,
                language=language,
                questions=tuple(q.strip() for q in questions),
                answer=" ".join(answer.split()),
                link=str(link).strip() if link else None,
            )
        )
    return entries


def knowledge_overrides_dir(settings: Settings) -> Path:
    """Where the console keeps the knowledge base an admin edited, one `<lang>.toml` each."""
    return settings.data_path / "knowledge"


def knowledge_files(settings: Settings | None) -> dict[str, Path]:
    """The file used for each language: an admin's edit, else the configured folder's, else
    the bundled one."""
    files = base_knowledge_files(settings)
    if settings is not None:
        for code in files:
            edited = knowledge_overrides_dir(settings) / f"{code}.toml"
            if edited.is_file():
                files[code] = edited
    return files


def base_knowledge_files(settings: Settings | None) -> dict[str, Path]:
    """The file for each language before any console edit: configured folder or bundled."""
    languages = settings.brand.languages if settings else ["fr", "en"]
    if settings is not None and settings.knowledge.path:
        folder = settings.resolve_path(settings.knowledge.path)
        if not folder.is_dir():
            raise KnowledgeError(
                f"{settings.path}: knowledge.path: {folder} is not a folder; create it with "
                "fr.toml and en.toml, or remove the key to use the bundled examples"
            )
        return {code: folder / f"{code}.toml" for code in languages}
    return {code: data_dir() / f"knowledge.{code}.toml" for code in languages}


@lru_cache(maxsize=8)
def _load(files: tuple[tuple[str, str, tuple[int, int, int]], ...]) -> KnowledgeBase:
    entries: list[KnowledgeEntry] = []
    for language, path, _stamp in files:
        entries.extend(_entries_from(Path(path), language))
    return KnowledgeBase(entries)


def load_knowledge(settings: Settings | None = None) -> KnowledgeBase:
    """The knowledge base for the brand's languages; reloaded when a file changes."""
    files = []
    for language, path in knowledge_files(settings).items():
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        files.append((language, str(path), stamp))
    return _load(tuple(files))
