"""`ecoute draft FILE`: classify and draft every comment of a CSV or JSONL file.

It lets a team try Écoute on its own comments before connecting an account, and lets
anyone review the drafts in a spreadsheet. One bad row never sinks the file: a row with
no id, no text or broken JSON is reported with its line number and skipped. What makes
the whole file unusable (missing, empty, not UTF-8, no `text` column) raises
`DraftInputError` with one line naming the file and what to do.

Optional columns `author` (a name or @handle to address) and `thread` (rows of one
thread never get identical replies) are used when present.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from ecoute.core.inputs import BadRow, InputFileError, iter_records, read_text
from ecoute.core.settings import Settings, example_config_path, load_settings

from .drafting import ClassificationView, CommentView, Drafter
from .variants import VariantPicker

OUTPUT_COLUMNS = ("id", "category", "action", "language", "text", "findings")
PLATFORMS = ("x", "facebook")
CHUNK = 500


class DraftInputError(Exception):
    """The input file cannot be drafted; the message names the file and the fix."""


class Classifier(Protocol):
    def classify(self, texts: list[str]) -> list[Any]: ...


@dataclass(slots=True)
class DraftFileReport:
    path: Path
    out: Path | None
    platform: str
    written: int = 0
    with_findings: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.bad_rows)


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    ident: str
    text: str
    author: str
    thread: str | None


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows(
    path: Path, text: str, text_column: str, id_column: str, bad: list[BadRow]
) -> Iterator[_Row]:
    hint = f"the file needs {id_column!r} and {text_column!r} (see --help)"
    try:
        records = iter_records(
            path, text, id_column=id_column, text_column=text_column, hint=hint, bad=bad
        )
        for line, record in records:
            yield from _checked(line, record, text_column, id_column, bad)
    except InputFileError as exc:
        raise DraftInputError(str(exc)) from None


def _checked(
    line: int, record: dict[str, Any], text_column: str, id_column: str, bad: list[BadRow]
) -> Iterator[_Row]:
    ident, body = _cell(record.get(id_column)), record.get(text_column)
    if not ident:
        bad.append(BadRow(line, f"empty {id_column!r}"))
        return
    if not isinstance(body, str) or not body.strip():
        bad.append(BadRow(line, f"empty or non-text {text_column!r}"))
        return
    thread = _cell(record.get("thread")) or None
    yield _Row(line, ident, body, _cell(record.get("author")), thread)


def draft_file(
    path: Path | str,
    out: Path | str | None,
    *,
    platform: str = "x",
    text_column: str = "text",
    id_column: str = "id",
    classifier: Classifier | None = None,
    settings: Settings | None = None,
) -> DraftFileReport:
    """Classify and draft every row of `path`; write `id,category,action,language,text,findings`.

    `out=None` writes to standard output. `settings` defaults to the example config.toml
    (its brand, contacts and signature); the classifier defaults to the shipped model.
    """
    path = Path(path)
    if platform not in PLATFORMS:
        raise DraftInputError(f"platform {platform!r} is not known; use one of {PLATFORMS}")
    try:
        text = read_text(path)
    except InputFileError as exc:
        raise DraftInputError(str(exc)) from None
    report = DraftFileReport(path=path, out=Path(out) if out else None, platform=platform)
    rows = _rows(path, text, text_column, id_column, report.bad_rows)
    first = next(rows, None)  # a missing column fails before the output is opened
    if settings is None:
        settings = load_settings(example_config_path(), check_secrets=False)
    if classifier is None:
        from ecoute.classifiers import load_classifier

        classifier = load_classifier()
    drafter = Drafter(settings)
    picker = VariantPicker()
    handle: TextIO
    if report.out is None:
        handle, close = sys.stdout, False
    else:
        report.out.parent.mkdir(parents=True, exist_ok=True)
        handle, close = report.out.open("w", encoding="utf-8", newline=""), True
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        chunk: list[_Row] = [first] if first else []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                _write_chunk(writer, chunk, classifier, drafter, picker, platform, report)
                chunk = []
        if chunk:
            _write_chunk(writer, chunk, classifier, drafter, picker, platform, report)
    finally:
        if close:
            handle.close()
        else:
            handle.flush()
    return report


def _write_chunk(
    writer: Any,
    chunk: list[_Row],
    classifier: Classifier,
    drafter: Drafter,
    picker: VariantPicker,
    platform: str,
    report: DraftFileReport,
) -> None:
    predictions = classifier.classify([row.text for row in chunk])
    for row, prediction in zip(chunk, predictions, strict=True):
        author = row.author
        outcome = drafter.draft(
            CommentView(
                text=row.text,
                platform=platform,
                author_handle=author.lstrip("@") if author.startswith("@") else "",
                author_name=None if author.startswith("@") else (author or None),
                thread_id=row.thread,
                external_id=row.ident,
            ),
            ClassificationView(
                category=prediction.category,
                language=prediction.language,
                flags=tuple(prediction.flags),
                probabilities=dict(prediction.probabilities),
            ),
            picker=picker,
        )
        names = ";".join(finding.name for finding in outcome.findings)
        action = str(outcome.decision.action)
        writer.writerow(
            (
                row.ident,
                str(outcome.decision.category),
                action,
                outcome.language or "",
                outcome.text or "",
                names,
            )
        )
        report.written += 1
        report.with_findings += bool(names)
        report.actions[action] = report.actions.get(action, 0) + 1
