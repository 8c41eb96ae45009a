"""How well the shipped classifier sorts real comments nobody in this project wrote.

Reads ``../shared/datasets`` (relative to the repository) when it is present and skips with
a message otherwise. These files are evaluation data only: nothing here trains the shipped
model (the paper-protocol row trains throw-away models inside its own folds).

One table, then one JSON line with every figure. Rows:

* gold ``fr_dev`` / ``en_dev``: macro-F1, per-class precision/recall, confusion matrix,
  complaint recall and precision;
* ``complaints.csv`` complaint vs not: zero-shot (the shipped model) and the paper's
  protocol (10-fold cross-validation trained on that file; published 0.79 and 0.87), with
  and without the project's own corpus added to each training fold;
* ``olid_test.csv`` offensive vs not, zero-shot; ``mlma_fr.csv`` hostile vs normal;
* ``airline.csv``: share of positive tweets called complaint (lower is better) and of
  negative tweets with a stated reason called complaint (higher is better).

Peers, on the same rows: VADER (compound ≤ -0.05 → complaint / the task's negative class)
and alt-profanity-check (profane → insult / the task's offensive class).

Usage: ``python bench/quality.py [--datasets PATH] [--limit N] [--model FILE]``; ``--model``
evaluates another model file, e.g. one ``ecoute train`` built with ``backend = "ngrams+use"``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from ecoute.classifiers import CATEGORIES, CommentClassifier, Prediction, load_classifier
from ecoute.classifiers.corpus import load_corpus
from ecoute.classifiers.embedding import remembering
from ecoute.classifiers.model import ModelParams, build_pipeline
from ecoute.core.domain import Category, Flag

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = REPO.parent / "shared" / "datasets"
NAMES = [str(c) for c in CATEGORIES]
COMPLAINT = str(Category.COMPLAINT)
INSULT = str(Category.INSULT)
OPINION = str(Category.GENERAL_OPINION)


def read_csv(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rows[:limit] if limit else rows


# -- peers ----------------------------------------------------------------------------------
class Peers:
    """The tools a user would pick instead, each mapped onto our categories."""

    def __init__(self) -> None:
        try:
            from profanity_check import predict_prob
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as exc:  # pragma: no cover - depends on the bench extra
            raise SystemExit(
                f"peers missing ({exc.name}); install them with: pip install -e '.[bench]'"
            ) from None
        self._vader = SentimentIntensityAnalyzer()
        self._profanity = predict_prob

    def vader(self, texts: Sequence[str]) -> list[str]:
        """Negative compound → complaint; anything else → general_opinion."""
        return [
            COMPLAINT if self._vader.polarity_scores(t)["compound"] <= -0.05 else OPINION
            for t in texts
        ]

    def profanity(self, texts: Sequence[str]) -> list[str]:
        """Profane (probability ≥ 0.5) → insult; anything else → general_opinion."""
        return [INSULT if p >= 0.5 else OPINION for p in self._profanity(list(texts))]


# -- figures --------------------------------------------------------------------------------
def binary_f1(truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    return float(f1_score(truth, predicted, average="macro", labels=[True, False]))


def four_way(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, object]:
    p, r, _, s = precision_recall_fscore_support(truth, predicted, labels=NAMES, zero_division=0)
    return {
        "macro_f1": float(
            f1_score(truth, predicted, labels=NAMES, average="macro", zero_division=0)
        ),
        "per_class": {
            n: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3), "n": int(s[i])}
            for i, n in enumerate(NAMES)
        },
        "complaint_recall": float(r[0]),
        "complaint_precision": float(p[0]),
        "confusion": confusion_matrix(truth, predicted, labels=NAMES).tolist(),
    }


def offensive_prediction(predictions: Sequence[Prediction]) -> list[bool]:
    """Ours, for offensive/hostile tasks: the insult category, or a profanity/threat flag.

    OLID and MLMA call *offensive* any profanity or attack, aimed or not; the rubric keeps
    untargeted profanity in general_opinion, so the flag carries that part of their label.
    """
    return [
        p.category == Category.INSULT or Flag.PROFANITY in p.flags or Flag.THREAT in p.flags
        for p in predictions
    ]


def paper_protocol(
    texts: list[str], truth: list[bool], *, own_corpus: bool, params: ModelParams | None = None
) -> float:
    """10-fold CV of our pipeline (``params``: the model's) on ``complaints.csv``, macro-F1."""
    extra_texts: list[str] = []
    extra_labels: list[str] = []
    if own_corpus:
        for e in load_corpus():
            extra_texts.append(e.text)
            extra_labels.append("complaint" if e.label == Category.COMPLAINT else "other")
    y = np.array(["complaint" if t else "other" for t in truth])
    predicted = np.empty(len(y), dtype=object)
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=7)
    for train, test in folds.split(texts, y):
        model = build_pipeline(params)
        model.fit([texts[i] for i in train] + extra_texts, list(y[train]) + extra_labels)
        predicted[test] = model.predict([texts[i] for i in test])
    return binary_f1(list(y == "complaint"), list(predicted == "complaint"))


# -- the run --------------------------------------------------------------------------------
def run(
    datasets: Path,
    limit: int | None,
    echo: Callable[[str], None] = print,
    model: Path | None = None,
) -> dict:
    classifier: CommentClassifier = load_classifier(model)
    peers = Peers()
    results: dict[str, object] = {"model_version": classifier.version}
    table: list[tuple[str, str, str, str, str]] = []

    def row(
        dataset: str, metric: str, ours: float, vader: float | None, prof: float | None
    ) -> None:
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        table.append((dataset, metric, fmt(ours), fmt(vader), fmt(prof)))

    # Gold, four categories.
    for name in ("fr_dev", "en_dev"):
        path = datasets / "gold" / f"{name}.csv"
        if not path.exists():
            echo(f"skip {name}: {path} not found")
            continue
        rows = read_csv(path, limit)
        texts, truth = [r["text"] for r in rows], [r["label"] for r in rows]
        ours = four_way(truth, [str(p.category) for p in classifier.classify(texts)])
        vader = four_way(truth, peers.vader(texts))
        prof = four_way(truth, peers.profanity(texts))
        results[name] = {"ours": ours, "vader": vader, "profanity_check": prof}
        row(name, "macro-F1", ours["macro_f1"], vader["macro_f1"], prof["macro_f1"])
        row(
            name,
            "complaint recall",
            ours["complaint_recall"],
            vader["complaint_recall"],
            prof["complaint_recall"],
        )
        row(
            name,
            "complaint precision",
            ours["complaint_precision"],
            vader["complaint_precision"],
            prof["complaint_precision"],
        )
        for cat in NAMES[1:]:
            pc = ours["per_class"][cat]
            row(name, f"{cat} P / R", pc["precision"], None, None)
            table[-1] = (*table[-1][:2], f"{pc['precision']:.2f} / {pc['recall']:.2f}", "", "")

    ext = datasets / "external"
    # Complaints (Preoțiuc-Pietro et al.).
    path = ext / "complaints.csv"
    if path.exists():
        rows = read_csv(path, limit)
        texts, truth = [r["text"] for r in rows], [r["complaint"] == "1" for r in rows]
        ours = binary_f1(
            truth, [p.category == Category.COMPLAINT for p in classifier.classify(texts)]
        )
        vader = binary_f1(truth, [v == COMPLAINT for v in peers.vader(texts)])
        prof = binary_f1(truth, [v == INSULT for v in peers.profanity(texts)])
        row("complaints", "zero-shot macro-F1", ours, vader, prof)
        started = time.perf_counter()
        with remembering():
            in_domain = paper_protocol(
                texts, truth, own_corpus=False, params=classifier.params
            )
            with_corpus = paper_protocol(
                texts, truth, own_corpus=True, params=classifier.params
            )
        row("complaints", "10-fold CV macro-F1", in_domain, None, None)
        row("complaints", "10-fold CV + own corpus", with_corpus, None, None)
        results["complaints"] = {
            "zero_shot_macro_f1": ours,
            "vader_macro_f1": vader,
            "profanity_check_macro_f1": prof,
            "paper_protocol_macro_f1": in_domain,
            "paper_protocol_own_corpus_macro_f1": with_corpus,
            "paper_protocol_seconds": round(time.perf_counter() - started, 1),
        }
    else:
        echo(f"skip complaints: {path} not found")

    # Offensive language (OLID test) and French hostility (MLMA).
    for key, filename, truth_of in (
        ("olid", "olid_test.csv", lambda r: r["offensive"] == "1"),
        ("mlma_fr", "mlma_fr.csv", lambda r: r["hostility"] != "normal"),
    ):
        path = ext / filename
        if not path.exists():
            echo(f"skip {key}: {path} not found")
            continue
        rows = read_csv(path, limit)
        texts, truth = [r["text"] for r in rows], [truth_of(r) for r in rows]
        predictions = classifier.classify(texts)
        ours = binary_f1(truth, offensive_prediction(predictions))
        category_only = binary_f1(truth, [p.category == Category.INSULT for p in predictions])
        vader = binary_f1(truth, [v == COMPLAINT for v in peers.vader(texts)])
        prof = binary_f1(truth, [v == INSULT for v in peers.profanity(texts)])
        row(key, "zero-shot macro-F1", ours, vader, prof)
        row(key, "… insult category only", category_only, None, None)
        results[key] = {
            "zero_shot_macro_f1": ours,
            "insult_only_macro_f1": category_only,
            "vader_macro_f1": vader,
            "profanity_check_macro_f1": prof,
        }

    # Airline sentiment: who is called a complainer.
    path = ext / "airline.csv"
    if path.exists():
        rows = read_csv(path, limit)
        positive = [r["text"] for r in rows if r["airline_sentiment"] == "positive"]
        negative = [
            r["text"]
            for r in rows
            if r["airline_sentiment"] == "negative"
            and r["negativereason"] not in ("", "Can't Tell")
        ]

        def share(pred: list[str]) -> float:
            return sum(p == COMPLAINT for p in pred) / max(len(pred), 1)

        pos = (
            share([str(p.category) for p in classifier.classify(positive)]),
            share(peers.vader(positive)),
            share([COMPLAINT if v == INSULT else v for v in peers.profanity(positive)]),
        )
        neg = (
            share([str(p.category) for p in classifier.classify(negative)]),
            share(peers.vader(negative)),
            share([COMPLAINT if v == INSULT else v for v in peers.profanity(negative)]),
        )
        row("airline", "positive → complaint (lower better)", *pos)
        row("airline", "negative+reason → complaint", *neg)
        results["airline"] = {
            "positive_called_complaint": pos[0],
            "negative_reason_called_complaint": neg[0],
            "vader": {"positive": pos[1], "negative_reason": neg[1]},
            "profanity_check": {"positive": pos[2], "negative_reason": neg[2]},
        }
    else:
        echo(f"skip airline: {path} not found")

    header = ("dataset", "metric", "Écoute", "VADER", "profanity-check")
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(5)]
    for r in [header, *table]:
        echo("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))
    for name in ("fr_dev", "en_dev"):
        if name in results:
            echo(f"{name} confusion (rows = gold, columns = predicted, order {NAMES}):")
            for gold, line in zip(NAMES, results[name]["ours"]["confusion"], strict=True):
                echo(f"  {gold:17} {line}")
    return results


def _compact(results: dict) -> dict:
    """The JSON line: the headline figures, rounded."""
    out: dict[str, object] = {"model_version": results.get("model_version")}
    for name in ("fr_dev", "en_dev"):
        if name in results:
            o = results[name]["ours"]
            out[name] = {
                "macro_f1": round(o["macro_f1"], 3),
                "complaint_recall": round(o["complaint_recall"], 3),
                "complaint_precision": round(o["complaint_precision"], 3),
                "vader_macro_f1": round(results[name]["vader"]["macro_f1"], 3),
                "profanity_check_macro_f1": round(results[name]["profanity_check"]["macro_f1"], 3),
            }
    for name in ("complaints", "olid", "mlma_fr", "airline"):
        if name in results:
            out[name] = json.loads(
                json.dumps(results[name]), parse_float=lambda s: round(float(s), 3)
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--limit", type=int, default=None, help="rows per file (quick runs)")
    parser.add_argument(
        "--model", type=Path, default=None, help="a model file (default: the shipped model)"
    )
    args = parser.parse_args(argv)
    if not args.datasets.is_dir():
        print(
            f"skipped: no evaluation data at {args.datasets} "
            "(the shared datasets sit beside the repository)"
        )
        print(json.dumps({"skipped": True, "reason": f"{args.datasets} not found"}))
        return 0
    results = run(args.datasets, args.limit, model=args.model)
    print(json.dumps(_compact(results), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
