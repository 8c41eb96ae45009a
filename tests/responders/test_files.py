"""`ecoute draft FILE`: CSV and JSONL in, a CSV of decisions and drafts out."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from ecoute.classifiers import Prediction
from ecoute.core.domain import Category, Flag
from ecoute.core.settings import Settings
from ecoute.responders.files import OUTPUT_COLUMNS, DraftInputError, draft_file


class KeywordClassifier:
    """A stand-in for the trained model: the category is written in the comment itself."""

    version = "test"

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            category = next(c for c in Category if c.value in text)
            language = "en" if " the " in f" {text} " else "fr"
            flags = (Flag.THREAT,) if "menace" in text else ()
            out.append(Prediction(category, 0.9, {category.value: 0.9}, language, flags))
        return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_in_csv_out(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "comments.csv"
    source.write_text(
        "id,text\n"
        "1,complaint : ma box est en panne depuis hier\n"
        "2,\n"
        "3,insult bande de nuls\n"
        "4,complaint the box is broken again and I waited all day\n"
        ",complaint sans identifiant\n"
        "6,complaint menace de venir au magasin\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "drafts.csv"
    report = draft_file(
        source, out, platform="facebook", classifier=KeywordClassifier(), settings=settings
    )
    assert (report.written, report.skipped) == (4, 2)
    assert [str(bad) for bad in report.bad_rows] == [
        "line 3: empty or non-text 'text'",
        "line 6: empty 'id'",
    ]
    result = rows(out)
    assert tuple(result[0]) == OUTPUT_COLUMNS
    by_id = {row["id"]: row for row in result}
    assert by_id["1"]["action"] == "reply" and by_id["1"]["findings"] == ""
    assert "Messenger" in by_id["1"]["text"] and by_id["1"]["language"] == "fr"
    assert by_id["3"]["action"] == "hide" and by_id["3"]["text"] == ""
    assert by_id["4"]["language"] == "en" and "call us at" in by_id["4"]["text"]
    assert by_id["6"]["action"] == "escalate"


def test_jsonl_and_bad_lines(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "comments.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "service_question comment suivre ma livraison ?"}),
        "{broken",
        json.dumps(["not", "an", "object"]),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "drafts.csv"
    report = draft_file(source, out, classifier=KeywordClassifier(), settings=settings)
    assert report.written == 1 and [b.row for b in report.bad_rows] == [2, 3]
    [row] = rows(out)
    assert row["action"] == "reply" and "livraison" in row["text"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"", "the file is empty"),
        (b"\xff\xfe\x00bad", "not valid UTF-8"),
        (b"id,body\n1,hello\n", "no column 'text'"),
    ],
)
def test_unusable_files_say_what_to_do(
    tmp_path: Path, settings: Settings, content: bytes | None, message: str
) -> None:
    source = tmp_path / "in.csv"
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(DraftInputError, match=message) as error:
        draft_file(source, tmp_path / "o.csv", classifier=KeywordClassifier(), settings=settings)
    assert str(source) in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "o.csv").exists()
