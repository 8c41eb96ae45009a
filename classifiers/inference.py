"""Category probabilities straight from the fitted numbers, for the live path.

``Pipeline.predict_proba`` validates its input at every step and runs the feature union
through joblib, which costs about a millisecond per call whatever the batch size: most of
the time of a single comment. The fitted pipeline is small enough to apply directly:
TF-IDF is ``(1 + log tf) * idf`` then an L2 norm per branch, the union is a concatenation,
and the logistic regression is a softmax over ``X @ coef.T + intercept``, so each branch's
share of the scores is computed on its own and nothing is concatenated. The result equals
``predict_proba`` (a test compares them); training and evaluation keep the pipeline.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """``TfidfTransformer(sublinear_tf=True)`` with its fitted ``idf``, L2-normalised rows."""
    x = counts.tocsr(copy=True)
    np.log(x.data, out=x.data)
    x.data += 1.0
    x.data *= idf[x.indices]
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    norms = np.sqrt(np.bincount(rows, weights=x.data.astype(np.float64) ** 2, minlength=x.shape[0]))
    norms[norms == 0] = 1.0
    x.data /= norms[rows].astype(x.data.dtype)
    return x


def predict_proba(pipeline: Pipeline, normalised: list[str]) -> np.ndarray:
    """The pipeline's probabilities for already-normalised texts, shape ``(n, classes)``."""
    union = pipeline.named_steps["features"]
    model = pipeline.named_steps["model"]
    weights = union.transformer_weights or {}
    coef = model.coef_
    scores = np.zeros((len(normalised), coef.shape[0]), dtype=np.float64)
    start = 0
    for name, branch in union.transformer_list:
        if isinstance(branch, Pipeline):  # an n-gram branch: hash, then TF-IDF
            hasher, tfidf = branch.named_steps["hash"], branch.named_steps["tfidf"]
            features = _tfidf(hasher.transform(normalised), tfidf.idf_)
            width = hasher.n_features
        else:  # a dense branch (the sentence encoder)
            features = branch.transform(normalised)
            width = features.shape[1]
        weight = weights.get(name, 1.0)
        part = coef[:, start : start + width]
        scores += weight * np.asarray(features @ part.T, dtype=np.float64)
        start += width
    scores += model.intercept_
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores
