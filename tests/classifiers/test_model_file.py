"""The model file holds numbers and settings only, and says clearly when it cannot be read."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ecoute.classifiers.classifier import CommentClassifier
from ecoute.classifiers.errors import ModelFileError
from ecoute.classifiers.model_file import MANIFEST


def _rewrite(source: Path, target: Path, **members: bytes | None) -> Path:
    """Copy a model file, replacing (bytes) or dropping (None) some of its members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in members:
                new.writestr(name, old.read(name))
        for name, data in members.items():
            if data is not None:
                new.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def saved(classifier: CommentClassifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return classifier.save(tmp_path_factory.mktemp("model") / "model.zip")


def test_members_are_a_manifest_and_plain_arrays(saved: Path) -> None:
    with zipfile.ZipFile(saved) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read(MANIFEST))
        for name in names:
            if name.endswith(".npy"):
                np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
    assert names == sorted([MANIFEST, *(f"{a}.npy" for a in manifest["arrays"])])
    assert manifest["classes"] == ["complaint", "general_opinion", "insult", "service_question"]


def test_an_array_that_needs_pickle_is_refused(saved: Path, tmp_path: Path) -> None:
    evil = io.BytesIO()
    np.save(evil, np.array([{"not": "numbers"}], dtype=object), allow_pickle=True)
    path = _rewrite(saved, tmp_path / "evil.zip", **{"coef.npy": evil.getvalue()})
    with pytest.raises(ModelFileError, match="refusing coef"):
        CommentClassifier.load(path)


def test_weights_that_do_not_fit_the_settings_are_refused(saved: Path, tmp_path: Path) -> None:
    small = io.BytesIO()
    np.save(small, np.zeros((4, 10), dtype=np.float32))
    path = _rewrite(saved, tmp_path / "small.zip", **{"coef.npy": small.getvalue()})
    with pytest.raises(ModelFileError, match="do not match"):
        CommentClassifier.load(path)


def test_missing_array_and_unknown_setting(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="lacks words_idf"):
        CommentClassifier.load(_rewrite(saved, tmp_path / "a.zip", **{"words_idf.npy": None}))
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    manifest["params"]["depth"] = 3
    path = _rewrite(saved, tmp_path / "b.zip", **{MANIFEST: json.dumps(manifest).encode()})
    with pytest.raises(ModelFileError, match=r"unknown model settings \['depth'\]"):
        CommentClassifier.load(path)


def test_other_files_are_not_models(tmp_path: Path) -> None:
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("schema", "{}")
    text = tmp_path / "notes.zip"
    text.write_text("hello", encoding="utf-8")
    for path in (other_zip, text):
        with pytest.raises(ModelFileError, match="not an Écoute model file"):
            CommentClassifier.load(path)
    with pytest.raises(ModelFileError, match="no such model file"):
        CommentClassifier.load(tmp_path / "absent.zip")


def test_foreign_classes_and_bad_settings_are_refused(saved: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    for change, message in (
        ({"classes": ["spam", "ham", "eggs", "bacon"]}, "not the four categories"),
        ({"params": {**manifest["params"], "embedding": "gpt"}}, "bad model settings"),
    ):
        edited = json.dumps({**manifest, **change}).encode()
        path = _rewrite(saved, tmp_path / "edited.zip", **{MANIFEST: edited})
        with pytest.raises(ModelFileError, match=message):
            CommentClassifier.load(path)
