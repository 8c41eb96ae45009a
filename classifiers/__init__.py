"""What a comment is: language, category, confidence and flags.

The public surface the rest of Écoute relies on::

    from ecoute.classifiers import load_classifier
    classifier = load_classifier()            # once per process
    predictions = classifier.classify(texts)  # per batch

and, for the command line, :func:`classify_file`, :func:`train_classifier` and
:class:`ClassifierInputError`.
"""

from .batch import BadRow, ClassifyFileReport, classify_file
from .classifier import CATEGORIES, CommentClassifier, Prediction
from .errors import ClassifierInputError
from .language import detect_language
from .training import DEFAULT_MODEL_PATH, TrainReport, load_classifier, train_classifier

__all__ = [
    "CATEGORIES",
    "DEFAULT_MODEL_PATH",
    "BadRow",
    "ClassifierInputError",
    "ClassifyFileReport",
    "CommentClassifier",
    "Prediction",
    "TrainReport",
    "classify_file",
    "detect_language",
    "load_classifier",
    "train_classifier",
]
