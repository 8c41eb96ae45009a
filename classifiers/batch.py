"""Classify a file of comments (CSV or JSONL) into a CSV of categories.

This is what ``ecoute classify`` runs. A whole file should not fail because of one bad
row: rows with no text, no id or broken JSON are reported with their line number and
skipped. What makes the whole file unusable — it is empty, it is not UTF-8, a named column
is missing — raises :class:`ClassifierInputError` with one line that says what to do.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ecoute.core.inputs import BadRow, InputFileError, iter_records, read_text

from .classifier import CommentClassifier
from .errors import ClassifierInputError

OUTPUT_COLUMNS = ("id", "category", "confidence", "language", "flags")
CHUNK = 500
COLUMN_HINT = "name the right one with --text-column / --id-column"


@dataclass(slots=True)
class ClassifyFileReport:
    path: Path
    out: Path | None
    model_version: str
    written: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.bad_rows)


def classify_file(
    path: Path,
    out: Path | None,
    *,
    text_column: str = "text",
    id_column: str = "id",
    classifier: CommentClassifier | None = None,
) -> ClassifyFileReport:
    """Classify every row of ``path`` and write ``id,category,confidence,language,flags``.

    ``out=None`` writes to standard output. The classifier defaults to the shipped model.
    """
    path = Path(path)
    bad: list[BadRow] = []
    try:
        rows = list(
            iter_records(
                path,
                read_text(path),
                id_column=id_column,
                text_column=text_column,
                hint=COLUMN_HINT,
                bad=bad,
            )
        )
    except InputFileError as exc:
        raise ClassifierInputError(str(exc)) from None
    if classifier is None:
        from .training import load_classifier

        classifier = load_classifier()
    report = ClassifyFileReport(path=path, out=out, model_version=classifier.version, bad_rows=bad)
    handle: TextIO
    if out is None:
        handle, close = sys.stdout, False
    else:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, close = out.open("w", encoding="utf-8", newline=""), True
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        pending: list[tuple[str, str]] = []
        for number, record in rows:
            ident, body = record.get(id_column), record.get(text_column)
            reason = _problem(ident, body, id_column, text_column)
            if reason:
                bad.append(BadRow(number, reason))
                continue
            pending.append((str(ident).strip(), str(body)))
            if len(pending) >= CHUNK:
                report.written += _write_chunk(writer, classifier, pending)
                pending = []
        if pending:
            report.written += _write_chunk(writer, classifier, pending)
    finally:
        if close:
            handle.close()
        else:
            handle.flush()
    return report


def _problem(ident: Any, body: Any, id_column: str, text_column: str) -> str:
    if ident is None or not str(ident).strip():
        return f"empty {id_column!r}"
    if body is not None and not isinstance(body, str):
        return f"{text_column!r} is not text"
    if body is None or not body.strip():
        return f"empty {text_column!r}"
    return ""


def _write_chunk(
    writer: Any,
    classifier: CommentClassifier,
    rows: list[tuple[str, str]],  # csv writer
) -> int:
    predictions = classifier.classify([body for _, body in rows])
    for (ident, _), p in zip(rows, predictions, strict=True):
        writer.writerow(
            (
                ident,
                str(p.category),
                f"{p.confidence:.4f}",
                p.language,
                ";".join(str(f) for f in p.flags),
            )
        )
    return len(rows)
