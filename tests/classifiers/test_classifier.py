from pathlib import Path

import numpy as np
import pytest

from ecoute.classifiers import CATEGORIES, CommentClassifier, Prediction
from ecoute.core.domain import Category, Flag

CASES = {
    "Ma box ne marche plus depuis 3 jours, personne ne répond au 3244": Category.COMPLAINT,
    "Bonjour, comment faire pour changer d'offre ?": Category.SERVICE_QUESTION,
    "Merci à toute l'équipe, service au top": Category.GENERAL_OPINION,
    "bande de connards": Category.INSULT,
    "thanks for losing my bag, great job 🙃": Category.COMPLAINT,
    "how do I add a checked bag to my booking?": Category.SERVICE_QUESTION,
    "you are the best airline, thank you": Category.GENERAL_OPINION,
    "shut up you idiot": Category.INSULT,
}


def test_sorts_clear_cases(classifier: CommentClassifier) -> None:
    predicted = classifier.predict(list(CASES))
    assert predicted == list(CASES.values())


def test_classify_returns_complete_predictions(classifier: CommentClassifier) -> None:
    texts = ["vos forfaits de merde, 3 jours sans internet ???", "ok"]
    out = classifier.classify(texts)
    assert len(out) == 2 and all(isinstance(p, Prediction) for p in out)
    first = out[0]
    assert set(first.probabilities) == {str(c) for c in CATEGORIES}
    assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert first.confidence == pytest.approx(first.probabilities[str(first.category)])
    assert first.language == "fr"
    assert first.flags == (Flag.PROFANITY, Flag.QUESTION)
    assert classifier.classify([]) == []


def test_predict_proba_follows_classes(classifier: CommentClassifier) -> None:
    proba = classifier.predict_proba(["merci", "why is my flight delayed again"])
    assert proba.shape == (2, 4)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert set(classifier.classes_) == {str(c) for c in CATEGORIES}


def test_complaint_threshold_is_the_decision_rule(classifier: CommentClassifier) -> None:
    texts = ["Merci à toute l'équipe, service au top", "shut up you idiot"]
    proba = classifier.predict_proba(texts)
    original = classifier.complaint_threshold
    try:
        classifier.complaint_threshold = 0.0
        assert classifier.decide(proba) == [Category.COMPLAINT, Category.COMPLAINT]
        classifier.complaint_threshold = 1.01
        assert classifier.decide(proba) == [Category.GENERAL_OPINION, Category.INSULT]
    finally:
        classifier.complaint_threshold = original


def test_save_and_load_round_trip(classifier: CommentClassifier, tmp_path: Path) -> None:
    path = classifier.save(tmp_path / "model.zip")
    loaded = CommentClassifier.load(path)
    assert loaded.version == classifier.version
    assert loaded.complaint_threshold == classifier.complaint_threshold
    texts = list(CASES)
    assert np.allclose(loaded.predict_proba(texts), classifier.predict_proba(texts))
    assert path.read_bytes()[:2] == b"PK"  # a zip of JSON and .npy members, not a pickle


def test_version_names_date_and_hash(classifier: CommentClassifier) -> None:
    day, digest = classifier.version.split("-")
    assert len(day.split(".")) == 3 and len(digest) == 8


def test_threats_are_flagged_and_sorted_as_insults(classifier: CommentClassifier) -> None:
    texts = ["je vais venir avec une batte tout casser", "I'll come and burn your store down"]
    for prediction in classifier.classify(texts):
        assert Flag.THREAT in prediction.flags
        assert prediction.category == Category.INSULT


def test_fit_requires_every_category() -> None:
    with pytest.raises(ValueError, match="lacks categories"):
        CommentClassifier().fit(["a", "b"], [Category.COMPLAINT, Category.INSULT])
