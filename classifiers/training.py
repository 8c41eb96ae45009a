"""Training: the project's corpus plus the CM's reclassifications → a saved, versioned model.

The CM's corrections are the most valuable examples there are (real comments from this
brand's audience, judged by the person who answers them), so each one is added to the own
corpus with the same weight, and a correction of a text that is also in the corpus replaces
the corpus label. The figures reported are cross-validated on the own corpus only, so they
stay comparable from one retraining to the next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from ecoute.core.domain import Category

from .classifier import CATEGORIES, CommentClassifier
from .corpus import load_corpus
from .embedding import embed_many, remembering
from .model import ModelParams

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_PATH = MODELS_DIR / "comment_classifier.zip"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainReport:
    """What a training run produced, for the command line and the console to show."""

    version: str
    path: Path
    n_corpus: int
    n_extra: int
    seconds: float
    cv_macro_f1: float | None
    cv_per_class: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def cv_complaint_recall(self) -> float | None:
        return self.cv_per_class.get(str(Category.COMPLAINT), {}).get("recall")

    @property
    def cv_complaint_precision(self) -> float | None:
        return self.cv_per_class.get(str(Category.COMPLAINT), {}).get("precision")


def _say(progress: Progress | None, message: str) -> None:
    """Report a step to the caller's callback, or to the log when there is none (not both:
    the command line prints the callback's lines and would show each one twice)."""
    if progress is not None:
        progress(message)
    else:
        log.info(message)


def cross_validate(
    texts: list[str],
    labels: list[str],
    params: ModelParams | None = None,
    folds: int = 5,
    progress: Progress | None = None,
) -> tuple[float, dict[str, dict[str, float]]]:
    """Stratified k-fold figures of the full decision (threshold included)."""
    y = np.asarray(labels)
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=13)
    for k, (train, test) in enumerate(splitter.split(texts, y), start=1):
        model = CommentClassifier(params).fit([texts[i] for i in train], y[train])
        predicted[test] = [str(c) for c in model.predict([texts[i] for i in test])]
        _say(progress, f"cross-validation fold {k}/{folds} done")
    names = [str(c) for c in CATEGORIES]
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=names, zero_division=0)
    per_class = {
        n: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "n": int(s[i])}
        for i, n in enumerate(names)
    }
    macro = float(f1_score(y, predicted, labels=names, average="macro"))
    return macro, per_class


def train_classifier(
    extra_examples: Iterable[tuple[str, Category]] = (),
    out: Path | None = None,
    progress: Progress | None = None,
    *,
    params: ModelParams | None = None,
    cv_folds: int = 5,
) -> TrainReport:
    """Train on the own corpus plus ``extra_examples``, save the artifact, report figures.

    ``extra_examples`` are ``(text, category)`` pairs — the CM's reclassifications, read
    from the database by the caller. ``cv_folds=0`` skips cross-validation (faster).
    """
    started = time.perf_counter()
    out = Path(out) if out is not None else DEFAULT_MODEL_PATH
    corpus = load_corpus()
    _say(progress, f"corpus: {len(corpus)} labelled comments")
    by_text: dict[str, str] = {e.text: str(e.label) for e in corpus}
    extra = [(str(t), str(Category(c))) for t, c in extra_examples if str(t).strip()]
    for text, label in extra:
        by_text[text] = label
    if extra:
        _say(progress, f"reclassifications: {len(extra)} added")
    texts, labels = list(by_text), list(by_text.values())

    macro, per_class = None, {}
    with remembering():
        if cv_folds:
            own_texts = [e.text for e in corpus]
            own_labels = [str(e.label) for e in corpus]
            macro, per_class = cross_validate(own_texts, own_labels, params, cv_folds, progress)
            _say(progress, f"cross-validated macro-F1 on the own corpus: {macro:.3f}")
        _say(progress, "fitting the final model")
        model = CommentClassifier(params).fit(texts, labels)
    model.save(out)
    seconds = time.perf_counter() - started
    _say(progress, f"saved model {model.version} to {out} in {seconds:.1f}s")
    return TrainReport(
        version=model.version,
        path=out,
        n_corpus=len(corpus),
        n_extra=len(extra),
        seconds=seconds,
        cv_macro_f1=macro,
        cv_per_class=per_class,
    )


def load_classifier(path: Path | None = None) -> CommentClassifier:
    """Load the shipped model; train it from the corpus first if the file is missing.

    The language identifier then starts loading in a background thread, so that the
    caller gets the classifier at once; most comments are sorted into French or English
    by their frequent words and never wait for it. A model with the sentence encoder loads
    the encoder now: a missing ``embed`` extra is then a clear error at start-up, not a
    failure at the first batch.
    """
    from .language import warm_up_in_background

    path = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if not path.exists():
        log.warning("model file %s is missing: training it from the corpus", path)
        train_classifier(out=path, progress=log.info, cv_folds=0)
    model = CommentClassifier.load(path)
    if model.params.embedding != "none":
        embed_many(["warm up"])
    warm_up_in_background()
    return model
