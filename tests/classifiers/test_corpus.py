from collections import Counter

from ecoute.classifiers.corpus import CORPUS_PATH, load_corpus
from ecoute.classifiers.corpus.build import compose
from ecoute.core.domain import Category


def test_corpus_size_languages_and_categories() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 6000
    counts = Counter((e.lang, e.label) for e in corpus)
    for lang in ("fr", "en"):
        for category in Category:
            assert counts[(lang, category)] >= 300, (lang, category)


def test_corpus_has_no_duplicate_texts_or_ids() -> None:
    corpus = load_corpus()
    assert len({e.text for e in corpus}) == len(corpus)
    assert len({e.id for e in corpus}) == len(corpus)


def test_committed_corpus_is_what_the_builder_produces() -> None:
    built = compose()
    committed = load_corpus(CORPUS_PATH)
    assert [(e.id, e.label, e.text) for e in built] == [
        (e.id, e.label, e.text) for e in committed
    ]
