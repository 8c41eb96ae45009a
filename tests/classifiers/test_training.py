from pathlib import Path

from ecoute.classifiers import CommentClassifier, load_classifier, train_classifier
from ecoute.core.domain import Category


def test_train_with_reclassifications_saves_a_versioned_model(tmp_path: Path) -> None:
    messages: list[str] = []
    text = "zorglub quantique du mardi"
    base = train_classifier(out=tmp_path / "a.zip", cv_folds=0)
    report = train_classifier(
        [(text, Category.INSULT)], out=tmp_path / "b.zip", progress=messages.append, cv_folds=0
    )
    assert report.path.exists() and report.n_extra == 1 and report.n_corpus >= 6000
    assert report.version != base.version
    assert any("reclassifications: 1" in m for m in messages)
    model = CommentClassifier.load(report.path)
    assert model.version == report.version
    assert model.predict_proba([text]).shape == (1, 4)


def test_cross_validation_figures_are_reported(tmp_path: Path) -> None:
    report = train_classifier(out=tmp_path / "m.zip", cv_folds=2)
    assert report.cv_macro_f1 is not None and 0.5 < report.cv_macro_f1 <= 1.0
    assert report.cv_complaint_recall is not None and report.cv_complaint_recall > 0.5


def test_load_classifier_trains_when_the_file_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.zip"
    model = load_classifier(path)
    assert path.exists()
    assert model.classify(["merci"])[0].language == "fr"
