"""Shared fixtures: one model trained on the project's corpus, once per test session."""

from __future__ import annotations

import pytest

from ecoute.classifiers import CommentClassifier
from ecoute.classifiers.corpus import load_corpus


@pytest.fixture(scope="session")
def classifier() -> CommentClassifier:
    corpus = load_corpus()
    return CommentClassifier().fit([e.text for e in corpus], [e.label for e in corpus])
