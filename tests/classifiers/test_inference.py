"""The live path gives the probabilities of the fitted scikit-learn pipeline."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from ecoute.classifiers.classifier import CommentClassifier
from ecoute.classifiers.corpus import load_corpus
from ecoute.classifiers.inference import predict_proba
from ecoute.classifiers.normalise import normalise_many

ODD = ["", "   ", "?", "😡😡😡", "a" * 3000, "Bonjour, ma box ne marche plus depuis hier soir"]


def test_same_probabilities_as_the_pipeline(classifier: CommentClassifier) -> None:
    texts = [e.text for e in load_corpus()[::29]] + ODD
    expected = classifier.predict_proba(texts)  # the scikit-learn pipeline, normalisation included
    got = predict_proba(classifier.pipeline, normalise_many(texts))
    assert got.shape == expected.shape == (len(texts), 4)
    assert np.allclose(got, expected, atol=1e-5)
    assert np.allclose(got.sum(axis=1), 1.0)
    assert [p.category for p in classifier.classify(texts)] == classifier.decide(expected)


def test_the_union_weights_apply(classifier: CommentClassifier) -> None:
    """As they do for the sentence-encoder branch, whose weight is a model setting."""
    union = classifier.pipeline.named_steps["features"]
    original = union.transformer_weights
    texts = normalise_many(["vol annulé, aucun remboursement", "merci pour le suivi !"])
    try:
        union.transformer_weights = {"chars": 0.5}
        expected = Pipeline(classifier.pipeline.steps[1:]).predict_proba(texts)
        assert np.allclose(predict_proba(classifier.pipeline, texts), expected, atol=1e-5)
    finally:
        union.transformer_weights = original
