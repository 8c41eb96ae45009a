"""Errors the classifier raises towards a user, with a message that says what to do."""

from __future__ import annotations


class ClassifierInputError(Exception):
    """An input file cannot be read as comments (missing column, empty, bad encoding).

    The message is one line naming the file and the fix; the command line prints it as is.
    """


class EmbeddingUnavailable(Exception):
    """The ``ngrams+use`` backend was chosen but its sentence encoder is not installed."""


class ModelFileError(Exception):
    """A model file is missing, is not an Écoute model, or does not match its settings.

    The message names the file and, where it helps, the fix (retrain with ``ecoute train``).
    """
