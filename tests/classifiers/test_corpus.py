from collections import Counter
from pathlib import Path

import pytest

from ecoute.classifiers.corpus import CORPUS_PATH, load_corpus
from ecoute.classifiers.corpus.build import compose, read_written
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


def test_written_comments_are_in_the_corpus() -> None:
    written = read_written()
    assert len(written) >= 5000
    texts = {e.text for e in load_corpus()}
    assert sum(text in texts for _, _, text in written) >= 0.98 * len(written)
    assert {lang for lang, _, _ in written} == {"fr", "en"}


def test_a_bad_written_row_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "slice.csv").write_text(
        "label,lang,text\ncomplaint,fr,plus de réseau\nrant,en,meh\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"slice.csv:3: unknown label 'rant'"):
        read_written(tmp_path)
    (tmp_path / "slice.csv").write_text("label,lang,text\ninsult,de,du bist\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"slice.csv:2: needs a text and lang fr or en"):
        read_written(tmp_path)
