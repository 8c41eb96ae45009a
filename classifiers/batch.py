"""Classify a file of comments (CSV or JSONL) into a CSV of categories.

This is what ``ecoute classify`` runs. A whole file should not fail because of one bad
row: rows with no text, no id or broken JSON are reported with their line number and
skipped. What makes the whole file unusable — it is empty, it is not UTF-8, a named column
is missing — raises :class:`ClassifierInputError` with one line that says what to do.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .classifier import CommentClassifier
from .errors import ClassifierInputError

OUTPUT_COLUMNS = ("id", "category", "confidence", "language", "flags")
CHUNK = 500
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True, slots=True)
class BadRow:
    """A skipped input row: its line number in the file and why it was skipped."""

    row: int
    reason: str


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


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ClassifierInputError(f"{path}: file not found; check the path") from None
    except OSError as exc:
        raise ClassifierInputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClassifierInputError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8 and retry"
        ) from None
    if not text.strip():
        raise ClassifierInputError(f"{path}: the file is empty; give a CSV or JSONL of comments")
    return text


def _is_jsonl(path: Path, text: str) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES or text.lstrip().startswith("{")


def _csv_rows(
    path: Path, text: str, text_column: str, id_column: str
) -> Iterator[tuple[int, str | None, str | None]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for column in (text_column, id_column):
        if column not in header:
            raise ClassifierInputError(
                f"{path}: no column {column!r} (found: {', '.join(header) or 'none'}); "
                f"name the right one with --text-column / --id-column"
            )
    for row in reader:
        yield reader.line_num, row.get(id_column), row.get(text_column)


def _jsonl_rows(
    path: Path, text: str, text_column: str, id_column: str
) -> Iterator[tuple[int, str | None, str | None]]:
    seen_column = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"\x00invalid JSON ({exc.msg})"
            continue
        if not isinstance(record, dict):
            yield number, None, "\x00not a JSON object"
            continue
        if text_column in record:
            seen_column = True
        value = record.get(text_column)
        ident = record.get(id_column)
        yield (
            number,
            None if ident is None else str(ident),
            None if value is None else (value if isinstance(value, str) else "\x00" + "text "
                                        "is not a string"),
        )
    if not seen_column:
        raise ClassifierInputError(
            f"{path}: no record has the field {text_column!r}; "
            f"name the right one with --text-column"
        )


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
    text = _read_text(path)
    reader = _jsonl_rows if _is_jsonl(path, text) else _csv_rows
    rows = reader(path, text, text_column, id_column)
    # Pull the first row now so that a missing column fails before any output is opened.
    rows = _peek(rows)
    if classifier is None:
        from .training import load_classifier

        classifier = load_classifier()
    report = ClassifyFileReport(path=path, out=out, model_version=classifier.version)
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
        for number, ident, body in rows:
            reason = _problem(ident, body, id_column, text_column)
            if reason:
                report.bad_rows.append(BadRow(number, reason))
                continue
            pending.append((str(ident), str(body)))
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


def _peek(
    rows: Iterator[tuple[int, str | None, str | None]],
) -> Iterator[tuple[int, str | None, str | None]]:
    first = next(rows, None)
    if first is None:
        return iter(())

    def chained() -> Iterator[tuple[int, str | None, str | None]]:
        yield first
        yield from rows

    return chained()


def _problem(ident: str | None, body: str | None, id_column: str, text_column: str) -> str:
    if body is not None and body.startswith("\x00"):
        return body[1:]
    if ident is None or not str(ident).strip():
        return f"empty {id_column!r}"
    if body is None or not body.strip():
        return f"empty {text_column!r}"
    return ""


def _write_chunk(
    writer: Any, classifier: CommentClassifier, rows: list[tuple[str, str]]  # csv writer
) -> int:
    predictions = classifier.classify([body for _, body in rows])
    for (ident, _), p in zip(rows, predictions, strict=True):
        writer.writerow(
            (ident, str(p.category), f"{p.confidence:.4f}", p.language,
             ";".join(str(f) for f in p.flags))
        )
    return len(rows)
