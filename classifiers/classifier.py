"""``CommentClassifier``: one fitted pipeline plus the rules a CM expects on top of it.

It behaves like a scikit-learn estimator (``fit`` / ``predict`` / ``predict_proba`` /
``classes_``) so that it can be evaluated with the usual tools, and adds what the rest of
Écoute needs: ``classify`` (category, confidence, all probabilities, language, flags, for a
batch), a model ``version`` that is stored next to each classification, and safe
persistence with skops (a pickle can run arbitrary code when loaded; a skops file cannot
unless its types are explicitly trusted, and we trust only our own, listed below).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn import config_context
from sklearn.pipeline import Pipeline

from ecoute.core.domain import Category, Flag

from .flags import detect_flags_many
from .language import detect_languages
from .model import ESTIMATOR_TYPES, ModelParams, build_pipeline, slim
from .normalise import normalise_many

#: Order of the probability columns, fixed so that stored figures stay comparable.
CATEGORIES: tuple[Category, ...] = (
    Category.COMPLAINT,
    Category.SERVICE_QUESTION,
    Category.GENERAL_OPINION,
    Category.INSULT,
)
FORMAT = 1
#: The only non-standard types a model file may reference; anything else refuses to load.
TRUSTED_TYPES = (
    "ecoute.classifiers.normalise.normalise_many",
    "ecoute.classifiers.embedding.embed_many",
    "builtins.slice",
    "numpy.float32",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)


def _skops_io():  # -> the skops.io module
    """Import ``skops.io`` without importing every scikit-learn estimator.

    When imported, skops builds its default list of trusted types from
    ``sklearn.utils.all_estimators()``, which imports all of scikit-learn (2-3 s, tens of
    MB). Our files only ever hold the estimators of :mod:`.model`, so for that one import
    the discovery function is given exactly those; each is still checked on load. If skops
    was already imported by someone else, nothing changes.
    """
    import sys

    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    original = sklearn.utils.all_estimators

    def ours(type_filter: object = None) -> list[tuple[str, type]]:
        return [(cls.__name__, cls) for cls in ESTIMATOR_TYPES]

    sklearn.utils.all_estimators = ours
    try:
        import skops.io as sio
    finally:
        sklearn.utils.all_estimators = original
    return sio


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the classifier says about one comment."""

    category: Category
    confidence: float
    probabilities: dict[str, float]
    language: str
    flags: tuple[Flag, ...]


def make_version(fingerprint: str, when: datetime | None = None) -> str:
    """``YYYY.MM.DD-<8 hex>``: the date makes it readable, the hash makes it exact."""
    day = (when or datetime.now(UTC)).strftime("%Y.%m.%d")
    digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:8]
    return f"{day}-{digest}"


class CommentClassifier:
    """Sorts comments into the four categories of the labelling rubric."""

    def __init__(
        self,
        params: ModelParams | None = None,
        *,
        pipeline: Pipeline | None = None,
        version: str = "unfitted",
        complaint_threshold: float | None = None,
    ) -> None:
        self.params = params or ModelParams()
        self.pipeline = pipeline if pipeline is not None else build_pipeline(self.params)
        self.version = version
        self.complaint_threshold = (
            self.params.complaint_threshold if complaint_threshold is None else complaint_threshold
        )

    # -- estimator API -------------------------------------------------------------------
    @property
    def classes_(self) -> np.ndarray:
        return self.pipeline.classes_

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> CommentClassifier:
        """Fit on texts and rubric labels; the version hashes the data and the parameters."""
        texts = [str(t) for t in texts]
        labels = [str(Category(lab)) for lab in labels]
        missing = set(CATEGORIES) - set(labels)
        if missing:
            raise ValueError(f"training data lacks categories: {sorted(missing)}")
        self.pipeline.fit(texts, labels)
        slim(self.pipeline)
        fingerprint = json.dumps(
            {"params": self.params.as_dict(), "threshold": self.complaint_threshold},
            sort_keys=True,
        ) + "".join(f"{lab}\t{t}\n" for t, lab in zip(texts, labels, strict=True))
        self.version = make_version(fingerprint)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 4)``, columns in the order of ``classes_``."""
        with config_context(assume_finite=True, skip_parameter_validation=True):
            return self.pipeline.predict_proba(list(texts))

    def decide(self, proba: np.ndarray) -> list[Category]:
        """Apply the decision rule to probability rows.

        "When in doubt, treat a vague comment that may hide a dissatisfaction as a
        complaint": a complaint probability at or above ``complaint_threshold`` wins even
        when another category is slightly more likely. Setting the threshold to 1.0 gives
        the plain argmax; lowering it trades precision on complaints for recall.
        """
        classes = [Category(c) for c in self.classes_]
        col = classes.index(Category.COMPLAINT)
        best = proba.argmax(axis=1)
        out = []
        for row, b in zip(proba, best, strict=True):
            if row[col] >= self.complaint_threshold:
                out.append(Category.COMPLAINT)
            else:
                out.append(classes[b])
        return out

    def predict(self, texts: Sequence[str]) -> list[Category]:
        return self.decide(self.predict_proba(texts))

    # -- product API ---------------------------------------------------------------------
    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify a batch: the main entry point of the ingestion pipeline."""
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return []
        normalised = normalise_many(texts)
        # The fitted steps after normalisation, on text normalised once for them and for
        # the flags; input checks are skipped because the features are built right here.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            features = self.pipeline.named_steps["features"].transform(normalised)
            proba = self.pipeline.named_steps["model"].predict_proba(features)
        categories = self.decide(proba)
        languages = detect_languages(texts, normalised)
        flags = detect_flags_many(texts, normalised)
        names = [str(c) for c in self.classes_]
        out = []
        for i, category in enumerate(categories):
            row = proba[i]
            probabilities = {name: float(row[j]) for j, name in enumerate(names)}
            out.append(
                Prediction(
                    category=category,
                    confidence=probabilities[str(category)],
                    probabilities=probabilities,
                    language=languages[i],
                    flags=flags[i],
                )
            )
        return out

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the model as a skops file (never pickle)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "format": FORMAT,
            "version": self.version,
            "params": json.dumps(self.params.as_dict()),
            "complaint_threshold": float(self.complaint_threshold),
            "pipeline": self.pipeline,
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        _skops_io().dump(state, tmp, compression=8)  # zipfile.ZIP_DEFLATED
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> CommentClassifier:
        """Load a skops file written by :meth:`save`, refusing any unexpected type."""
        path = Path(path)
        sio = _skops_io()
        untrusted = sio.get_untrusted_types(file=path)
        unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unexpected:
            raise ValueError(f"{path}: refusing to load untrusted types {unexpected}")
        state = sio.load(path, trusted=untrusted)
        if state.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown model format {state.get('format')!r}; retrain")
        raw = json.loads(state["params"])
        params = ModelParams(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        )
        return cls(
            params,
            pipeline=state["pipeline"],
            version=state["version"],
            complaint_threshold=state["complaint_threshold"],
        )
