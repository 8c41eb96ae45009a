"""Reading a file of comments a person hands to Écoute: CSV with a header, or JSON Lines.

`ecoute classify` and `ecoute draft` take the same files and read them the same way. A
file that cannot be used at all (missing, not UTF-8, empty, a named column absent)
raises one error naming the file and what to do; a bad row (broken JSON, not an object)
is reported with its line number and skipped: one bad line never costs the whole file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


class InputFileError(Exception):
    """The whole file cannot be used; the message names it and says what to do."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A skipped input row: its line number in the file and why it was skipped."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.row}: {self.reason}"


def read_text(path: Path) -> str:
    """The file's text, decoded as UTF-8 (with or without a byte-order mark)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder; give a CSV or JSONL file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8 and retry"
        ) from None
    if not text.strip():
        raise InputFileError(f"{path}: the file is empty; give a CSV or JSONL of comments")
    return text


def is_jsonl(path: Path, text: str) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES or text.lstrip().startswith("{")


def iter_records(
    path: Path,
    text: str,
    *,
    id_column: str,
    text_column: str,
    hint: str,
    bad: list[BadRow],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for every usable row; unusable rows go to `bad`.

    A CSV is checked for both columns before the first row; JSON Lines are read whole
    first, so that a misnamed field fails before any output is written.
    """
    if is_jsonl(path, text):
        records: list[tuple[int, dict[str, Any]]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append(BadRow(number, f"invalid JSON ({exc.msg})"))
                continue
            if not isinstance(record, dict):
                bad.append(BadRow(number, "not a JSON object"))
                continue
            records.append((number, record))
        if records and not any(text_column in record for _, record in records):
            raise InputFileError(f"{path}: no record has the field {text_column!r}; {hint}")
        yield from records
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for column in (id_column, text_column):
        if column not in header:
            raise InputFileError(
                f"{path}: no column {column!r} (found: {', '.join(header) or 'none'}); {hint}"
            )
    for record in reader:
        yield reader.line_num, record
