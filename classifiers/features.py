"""Hashed character n-grams inside word boundaries, computed once per distinct word.

scikit-learn's ``HashingVectorizer(analyzer="char_wb")`` cuts every word of every comment
into its 3-, 4- and 5-grams and hashes each one in Python: about 230 strings per comment,
most of the classifier's time. But a ``char_wb`` n-gram never crosses a word boundary, so a
comment's counts are the sum of its words' counts, and words repeat (Zipf): a batch of 500
comments has far fewer distinct words than words, and frequent words recur in every batch.
:class:`WordwiseCharHasher` therefore hashes each distinct word once, keeps the result for
the words it meets again, and builds the comment matrix as a sparse product
``(comments x words) @ (words x buckets)``. The output is identical to the scikit-learn
vectorizer's (a test compares them), so models trained either way are interchangeable.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer

#: Distinct words whose n-gram buckets are kept between batches. A word costs about 300
#: bytes, so the cache stays under 15 MB; when full it starts again from empty, which the
#: most frequent words refill within a batch.
CACHE_WORDS = 50_000


class WordwiseCharHasher(TransformerMixin, BaseEstimator):
    """``HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm=None)``, per word.

    Stateless like the vectorizer it replaces: ``fit`` learns nothing, so the model file
    only needs ``n_features`` and ``ngram_range`` to rebuild it.
    """

    def __init__(self, n_features: int = 2**17, ngram_range: tuple[int, int] = (3, 5)) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range

    def fit(self, texts: Iterable[str], y: object = None) -> WordwiseCharHasher:
        return self

    def _word_hasher(self) -> HashingVectorizer:
        hasher = getattr(self, "_hasher", None)
        if hasher is None:
            hasher = self._hasher = HashingVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(self.ngram_range),
                n_features=self.n_features,
                alternate_sign=False,
                norm=None,
                lowercase=False,
                dtype=np.float32,
            )
        return hasher

    def _word_rows(self, words: list[str]) -> sp.csr_matrix:
        """The bucket counts of each word, one row per word, from the cache when known."""
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = self.__dict__.setdefault("_cache", {})
        # Read the cache once per word, so that another thread emptying it meanwhile only
        # costs that thread's batch a few more hashes.
        found = {w: cache.get(w) for w in words}
        missing = [w for w, entry in found.items() if entry is None]
        if missing:
            hashed = self._word_hasher().transform(missing)
            hashed.sort_indices()
            ptr, idx, data = hashed.indptr, hashed.indices, hashed.data
            fresh = {
                w: (idx[ptr[i] : ptr[i + 1]], data[ptr[i] : ptr[i + 1]])
                for i, w in enumerate(missing)
            }
            found.update(fresh)
            if len(cache) + len(fresh) > CACHE_WORDS:
                cache.clear()
            cache.update(fresh)
        entries = list(found.values())  # ``words`` are distinct, so their order is kept
        lengths = np.fromiter((len(e[0]) for e in entries), dtype=np.int64, count=len(entries))
        indptr = np.zeros(len(entries) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        if entries:
            indices = np.concatenate([e[0] for e in entries])
            data = np.concatenate([e[1] for e in entries])
        else:
            indices, data = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(entries), self.n_features))

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        column: dict[str, int] = {}
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            # ``str.split()`` is exactly how the char_wb analyzer finds words.
            columns.extend(column.setdefault(w, len(column)) for w in text.split())
            indptr.append(len(columns))
        counts = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), columns, indptr),
            shape=(len(indptr) - 1, len(column)),
        )
        out = (counts @ self._word_rows(list(column))).tocsr()
        out.sort_indices()
        return out
