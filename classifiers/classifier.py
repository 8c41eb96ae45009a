"""``CommentClassifier``: one fitted pipeline plus the rules a CM expects on top of it.

It behaves like a scikit-learn estimator (``fit`` / ``predict`` / ``predict_proba`` /
``classes_``) so that it can be evaluated with the usual tools, and adds what the rest of
Écoute needs: ``classify`` (category, confidence, all probabilities, language, flags, for a
batch), a model ``version`` that is stored next to each classification, and safe
persistence (:mod:`.model_file`: numbers and settings only, never a pickle, which can run
arbitrary code when loaded).
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

from . import inference
from .flags import detect_flags_many
from .language import detect_languages
from .model import ModelParams, build_pipeline, slim
from .model_file import ModelFile, load_model, save_model
from .normalise import normalise_many

#: Order of the probability columns, fixed so that stored figures stay comparable.
CATEGORIES: tuple[Category, ...] = (
    Category.COMPLAINT,
    Category.SERVICE_QUESTION,
    Category.GENERAL_OPINION,
    Category.INSULT,
)

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
        # The fitted numbers applied directly (see :mod:`.inference`), on text normalised
        # once for them and for the flags.
        proba = inference.predict_proba(self.pipeline, normalised)
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
        """Write the model file (see :mod:`.model_file`); the old file is replaced atomically."""
        meta = ModelFile(self.version, self.params, float(self.complaint_threshold))
        return save_model(Path(path), self.pipeline, meta)

    @classmethod
    def load(cls, path: str | Path) -> CommentClassifier:
        """Load a file written by :meth:`save`; a bad file raises ``ModelFileError``."""
        pipeline, meta = load_model(Path(path))
        return cls(
            meta.params,
            pipeline=pipeline,
            version=meta.version,
            complaint_threshold=meta.complaint_threshold,
        )
