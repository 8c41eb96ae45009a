"""The word-wise character hasher gives exactly scikit-learn's char_wb hashing."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from ecoute.classifiers import features
from ecoute.classifiers.corpus import load_corpus
from ecoute.classifiers.features import WordwiseCharHasher
from ecoute.classifiers.normalise import normalise_many

ODD = ["", "   ", "a", "ab  cd\tef\nG", "é💥é💥 x", "looooool !!!", "mot mot mot mot"]


def _reference(n_features: int, ngram_range: tuple[int, int]) -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=ngram_range,
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        dtype=np.float32,
    )


def test_same_matrix_as_scikit_learn_on_the_corpus_and_odd_texts() -> None:
    texts = normalise_many([e.text for e in load_corpus()[::13]]) + ODD
    for n_features, ngram_range in ((2**17, (3, 5)), (2**10, (2, 4))):
        ours = WordwiseCharHasher(n_features, ngram_range)
        expected = _reference(n_features, ngram_range).transform(texts)
        # twice: once filling the cache, once reading it
        for got in (ours.transform(texts), ours.transform(texts[::-1])[::-1]):
            assert got.shape == expected.shape and got.dtype == expected.dtype
            assert (got != expected).nnz == 0


def test_a_full_cache_starts_again_and_stays_exact(monkeypatch) -> None:
    monkeypatch.setattr(features, "CACHE_WORDS", 5)
    texts = ["un deux trois quatre", "cinq six sept huit neuf dix", "un six onze", ""]
    ours = WordwiseCharHasher()
    expected = _reference(2**17, (3, 5)).transform(texts)
    for _ in range(3):
        assert (ours.transform(texts) != expected).nnz == 0
    ours.transform(["alpha beta"])
    assert set(ours._cache) == {"alpha", "beta"}  # over the limit: emptied, then refilled


def test_an_empty_batch_is_an_empty_matrix() -> None:
    assert WordwiseCharHasher(2**8).transform([]).shape == (0, 2**8)
