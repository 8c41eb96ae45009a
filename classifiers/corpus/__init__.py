"""The project's own labelled corpus (``classifiers/data/corpus.csv``).

The shipped model learns only from comments written for the project (see
``classifiers/data/LABELLING.md``) and from the CM's reclassifications. The CSV is produced
by :mod:`ecoute.classifiers.corpus.build` from hand-written pieces, deterministically, and
committed so that training needs nothing but the package.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ecoute.core.domain import Category

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CORPUS_PATH = DATA_DIR / "corpus.csv"
FIELDS = ("id", "label", "lang", "text")


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    label: Category
    lang: str
    text: str


def load_corpus(path: Path = CORPUS_PATH) -> list[Example]:
    """Read the corpus; a label outside the rubric's four is an error, not a skip."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [Example(r["id"], Category(r["label"]), r["lang"], r["text"]) for r in rows]


def write_corpus(examples: list[Example], path: Path = CORPUS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FIELDS)
        for e in examples:
            writer.writerow((e.id, str(e.label), e.lang, e.text))
