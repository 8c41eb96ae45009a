"""Does the project's corpus resemble the evaluation data it must never contain?

The shipped model is trained on comments written for the project. This check compares
every corpus row with every row of ``../shared/datasets`` (TF-IDF over character 3–5-grams,
cosine similarity) and reports the closest pairs, so that a copied, paraphrased or
remembered evaluation comment shows up before it can inflate the quality figures.
Short texts are left out: "thank you!" is everywhere and proves nothing.

Usage: ``python bench/overlap.py [--datasets PATH] [--threshold 0.8] [--show 10]``.
Last line: JSON with the counts; the exit status is 1 when a pair reaches the threshold.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ecoute.classifiers.corpus import load_corpus
from ecoute.classifiers.normalise import normalise

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = REPO.parent / "shared" / "datasets"
#: Texts shorter than this, handles aside, are too generic to compare.
MIN_CHARS = 40
HANDLES = re.compile(r"@\w+")
CHUNK = 2000


def evaluation_rows(datasets: Path) -> list[tuple[str, str]]:
    """``(file:id, text)`` for every row of every CSV under the datasets folder."""
    rows: list[tuple[str, str]] = []
    for path in sorted(datasets.rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row.get("text") or ""
                rows.append((f"{path.name}:{row.get('id', '')}", text))
    return rows


def closest_pairs(corpus: list[str], evaluation: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each corpus text: the best cosine against the evaluation texts, and its index."""
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True
    )
    vectorizer.fit(corpus + evaluation)
    target = vectorizer.transform(evaluation).T.tocsr()
    best = np.zeros(len(corpus), dtype=np.float32)
    where = np.zeros(len(corpus), dtype=np.int64)
    for start in range(0, len(corpus), CHUNK):
        block = vectorizer.transform(corpus[start : start + CHUNK]) @ target
        block = block.toarray()
        where[start : start + len(block)] = block.argmax(axis=1)
        best[start : start + len(block)] = block.max(axis=1)
        done = min(start + CHUNK, len(corpus))
        print(f"compared {done}/{len(corpus)} corpus rows", file=sys.stderr)
    return best, where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--show", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.datasets.exists():
        print(f"skip: {args.datasets} not found")
        return 0
    def long_enough(text: str) -> bool:
        return len(HANDLES.sub("", text).strip()) >= MIN_CHARS

    corpus = [e for e in load_corpus() if long_enough(e.text)]
    evaluation = [(n, t) for n, t in evaluation_rows(args.datasets) if long_enough(t)]
    best, where = closest_pairs(
        [normalise(e.text) for e in corpus], [normalise(t) for _, t in evaluation]
    )
    order = np.argsort(-best)
    for i in order[: args.show]:
        name, text = evaluation[where[i]]
        print(f"{best[i]:.3f}  {corpus[i].id}: {corpus[i].text[:90]!r}")
        print(f"       {name}: {text[:90]!r}")
    summary = {
        "corpus_rows_compared": len(corpus),
        "evaluation_rows": len(evaluation),
        "max_similarity": round(float(best.max()), 3) if len(best) else 0.0,
        "p99_similarity": round(float(np.quantile(best, 0.99)), 3) if len(best) else 0.0,
        "at_or_above_threshold": int((best >= args.threshold).sum()),
        "threshold": args.threshold,
    }
    print(json.dumps(summary))
    return 1 if summary["at_or_above_threshold"] else 0


if __name__ == "__main__":
    sys.exit(main())
