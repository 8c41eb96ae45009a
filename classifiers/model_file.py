"""The model file: numbers and settings only, so that loading one can never run code.

A fitted pipeline of :mod:`.model` is fully described by its :class:`~.model.ModelParams`
(which rebuild the same unfitted pipeline) and five arrays: the IDF weights of the two
n-gram branches and the classes, weights and intercepts of the logistic regression. The
file is a zip holding ``model.json`` and those arrays as ``.npy`` members, read with
``allow_pickle=False``: nothing in it is an object to construct, which is what makes it safe
to load a file someone sent, and what makes loading take milliseconds (a generic
serialiser first has to learn which of scikit-learn's types it may trust).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from ecoute.core.domain import Category

from .errors import ModelFileError
from .model import ModelParams, build_pipeline

FORMAT = 2
MANIFEST = "model.json"
#: The n-gram branches of the ``features`` union whose TF-IDF weights the file holds.
BRANCHES = ("words", "chars")


@dataclass(frozen=True, slots=True)
class ModelFile:
    """What a model file holds besides the pipeline itself."""

    version: str
    params: ModelParams
    complaint_threshold: float


def _branch(pipeline: Pipeline, name: str) -> Pipeline:
    return dict(pipeline.named_steps["features"].transformer_list)[name]


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def save_model(path: Path, pipeline: Pipeline, meta: ModelFile) -> Path:
    """Write ``pipeline`` (fitted) and ``meta`` to ``path`` atomically."""
    model = pipeline.named_steps["model"]
    arrays = {f"{name}_idf": _branch(pipeline, name).named_steps["tfidf"].idf_ for name in BRANCHES}
    arrays["coef"] = model.coef_
    arrays["intercept"] = model.intercept_
    manifest = {
        "format": FORMAT,
        "version": meta.version,
        "params": meta.params.as_dict(),
        "complaint_threshold": float(meta.complaint_threshold),
        "classes": [str(c) for c in model.classes_],
        "arrays": sorted(arrays),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, array in arrays.items():
            archive.writestr(f"{name}.npy", _npy(np.asarray(array)))
    tmp.replace(path)
    return path


def _params(raw: object, path: Path) -> ModelParams:
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: the model settings are missing")
    known = {f.name for f in fields(ModelParams)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ModelFileError(
            f"{path}: unknown model settings {unknown}; retrain with `ecoute train`"
        )
    return ModelParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def _array(archive: zipfile.ZipFile, name: str, path: Path) -> np.ndarray:
    try:
        with archive.open(f"{name}.npy") as member:
            return np.load(io.BytesIO(member.read()), allow_pickle=False)
    except KeyError:
        raise ModelFileError(f"{path}: the model file lacks {name}") from None
    except ValueError as exc:  # an object array, which would need pickle, or a bad header
        raise ModelFileError(f"{path}: refusing {name}: {exc}") from None


def load_model(path: Path) -> tuple[Pipeline, ModelFile]:
    """Read a file written by :func:`save_model` and rebuild its fitted pipeline.

    Every failure is a :class:`ModelFileError` naming the file: a missing file, a file that
    is not a model (a model from an older release included), or one whose arrays do not fit its
    settings.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = json.loads(archive.read(MANIFEST))
            except KeyError:
                raise ModelFileError(
                    f"{path}: not an Écoute model file (an older model? "
                    "retrain with `ecoute train`)"
                ) from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                found = manifest.get("format") if isinstance(manifest, dict) else None
                raise ModelFileError(f"{path}: unknown model format {found!r}; retrain")
            params = _params(manifest.get("params"), path)
            arrays = {name: _array(archive, name, path) for name in manifest.get("arrays", [])}
    except FileNotFoundError:
        raise ModelFileError(f"no such model file: {path}") from None
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: not an Écoute model file") from None
    try:
        pipeline = build_pipeline(params)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: bad model settings: {exc}") from None
    _restore(pipeline, manifest, arrays, path)
    meta = ModelFile(
        version=str(manifest.get("version", "unknown")),
        params=params,
        complaint_threshold=float(manifest.get("complaint_threshold", params.complaint_threshold)),
    )
    return pipeline, meta


def _restore(pipeline: Pipeline, manifest: dict, arrays: dict[str, np.ndarray], path: Path) -> None:
    """Put the fitted numbers back into a freshly built pipeline, checking their shapes."""
    classes = manifest.get("classes")
    if not isinstance(classes, list) or sorted(map(str, classes)) != sorted(map(str, Category)):
        raise ModelFileError(f"{path}: the model's classes are not the four categories")
    width = 0
    for name in BRANCHES:
        branch = _branch(pipeline, name)
        tfidf = branch.named_steps["tfidf"]
        idf = arrays.get(f"{name}_idf")
        buckets = branch.named_steps["hash"].n_features
        if idf is None or idf.shape != (buckets,):
            raise ModelFileError(f"{path}: {name} weights do not match the model settings")
        tfidf.idf_ = idf
        tfidf.n_features_in_ = buckets
        width += buckets
    features = dict(pipeline.named_steps["features"].transformer_list)
    if "embedding" in features:
        from .embedding import DIMENSIONS

        width += DIMENSIONS
    coef, intercept = arrays.get("coef"), arrays.get("intercept")
    if (
        coef is None
        or intercept is None
        or coef.shape != (len(classes), width)
        or (intercept.shape != (len(classes),))
    ):
        raise ModelFileError(f"{path}: the classifier weights do not match the model settings")
    model = pipeline.named_steps["model"]
    model.classes_ = np.array(classes)
    model.coef_ = np.asfortranarray(coef)
    model.intercept_ = intercept
    model.n_features_in_ = width
