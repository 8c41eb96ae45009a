"""The scikit-learn pipeline that turns comments into calibrated category probabilities.

One ``Pipeline`` object, so that it can be fitted, cross-validated, saved and loaded as a
unit (scikit-learn's estimator contract). Its steps:

1. ``normalise`` — :func:`normalise_many`, the same canonical text the flags read;
2. ``features`` — hashed word uni/bi-grams (what is said) next to character 3–5-grams inside word
   boundaries (robust to typos, elongations, ``pk``/``pourquoi``, Québec and SMS spellings,
   and to the mixed French/English of real comments);
3. ``model`` — a multinomial logistic regression with balanced class weights, whose
   probabilities are usable as they come. The "when in doubt, it is a complaint" rule
   lives on top of these probabilities, in :mod:`.classifier`.

A linear model on sparse n-grams is the right size here: it trains in seconds on one core,
classifies thousands of comments per second and its artifact weighs a few MB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from .embedding import NAME as EMBEDDING_NAME
from .embedding import embed_many
from .features import WordwiseCharHasher
from .normalise import normalise_many

#: Feature backends: n-grams alone (the default: fast, no extra package), or n-grams next to
#: the multilingual sentence encoder of :mod:`.embedding`.
EMBEDDINGS = ("none", EMBEDDING_NAME)


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Hyper-parameters of the pipeline; part of the model version hash."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    word_buckets: int = 2**16
    char_buckets: int = 2**17
    logreg_c: float = 2.0
    logreg_tol: float = 1e-3
    #: ``"none"`` or ``"use-m3"`` (see :mod:`.embedding`), and the weight of those dense
    #: features against the TF-IDF n-grams (both are unit-length vectors).
    embedding: str = "none"
    embedding_weight: float = 2.0
    # The decision rule: a complaint probability at or above this wins over the argmax.
    complaint_threshold: float = 0.2

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


#: Word tokens: words with their apostrophes, and each punctuation mark or emoji on its own,
#: so that "?!", "..." and "😡" count as what they are.
TOKEN_PATTERN = r"(?u)[\w']+|[?!]|[^\w\s]"


def _tfidf(hasher: object) -> Pipeline:
    """Hashed n-grams + TF-IDF weights.

    Hashing instead of a vocabulary keeps the artifact free of a dictionary of a hundred
    thousand n-gram strings, which is what makes a model file slow to load and large.
    """
    return Pipeline([("hash", hasher), ("tfidf", TfidfTransformer(sublinear_tf=True))])


def build_pipeline(params: ModelParams | None = None) -> Pipeline:
    """Return an unfitted pipeline for ``params`` (defaults when ``None``)."""
    p = params or ModelParams()
    if p.embedding not in EMBEDDINGS:
        raise ValueError(f"unknown embedding {p.embedding!r}; expected one of {EMBEDDINGS}")
    words = _tfidf(
        HashingVectorizer(
            analyzer="word", token_pattern=TOKEN_PATTERN, ngram_range=p.word_ngrams,
            n_features=p.word_buckets, alternate_sign=False, norm=None, lowercase=False,
            dtype=np.float32,
        )
    )
    chars = _tfidf(WordwiseCharHasher(p.char_buckets, p.char_ngrams))
    model = LogisticRegression(
        C=p.logreg_c, class_weight="balanced", max_iter=300, tol=p.logreg_tol
    )
    branches: list[tuple[str, object]] = [("words", words), ("chars", chars)]
    weights = None
    if p.embedding == EMBEDDING_NAME:
        branches.append(("embedding", FunctionTransformer(embed_many, validate=False)))
        weights = {"embedding": p.embedding_weight}
    return Pipeline(
        [
            ("normalise", FunctionTransformer(normalise_many, validate=False)),
            ("features", FeatureUnion(branches, n_jobs=1, transformer_weights=weights)),
            ("model", model),
        ]
    )


def slim(pipeline: Pipeline) -> Pipeline:
    """Store the linear weights in single precision and column-major order before saving.

    Halves the artifact with no visible effect on probabilities (weights are ~1e-1, float32
    keeps seven significant digits).
    """
    model = pipeline.named_steps["model"]
    # Column-major, so that ``coef_.T`` in the sparse product is already contiguous:
    # otherwise SciPy copies the whole (features x classes) matrix on every call.
    model.coef_ = np.asfortranarray(model.coef_, dtype=np.float32)
    model.intercept_ = model.intercept_.astype(np.float32)
    return pipeline
