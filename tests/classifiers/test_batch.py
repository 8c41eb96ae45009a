import csv
import io
import json
from pathlib import Path

import pytest

from ecoute.classifiers import ClassifierInputError, CommentClassifier, classify_file


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_csv_in_csv_out_with_bad_rows_skipped(
    classifier: CommentClassifier, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text\n1,ma box est en panne depuis hier !!\n2,\n,sans id\n"
        "3,\"merci, c'est réglé\"\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    report = classify_file(src, out, classifier=classifier)
    rows = _read(out)
    assert [r["id"] for r in rows] == ["1", "3"]
    assert list(rows[0]) == ["id", "category", "confidence", "language", "flags"]
    assert rows[0]["category"] == "complaint" and rows[0]["language"] == "fr"
    assert 0.0 <= float(rows[0]["confidence"]) <= 1.0
    assert report.written == 2
    assert [(b.row, b.reason) for b in report.bad_rows] == [(3, "empty 'text'"), (4, "empty 'id'")]
    assert report.model_version == classifier.version


def test_jsonl_with_custom_columns_and_broken_line(
    classifier: CommentClassifier, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"cid": "a", "body": "putain pourquoi ça marche pas ?"}), "{oops",
             json.dumps({"cid": "b", "body": "thanks!"})]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    report = classify_file(src, out, text_column="body", id_column="cid", classifier=classifier)
    rows = _read(out)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["flags"] == "profanity;question"
    assert report.bad_rows[0].row == 2 and "invalid JSON" in report.bad_rows[0].reason


def test_stdout_when_no_out(classifier: CommentClassifier, tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n7,bande de nuls\n", encoding="utf-8")
    classify_file(src, None, classifier=classifier)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["id"] == "7" and rows[0]["category"] == "insult"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"id,texte\n1,bonjour\n", "no column 'text'"),
        ("id,text\n1,Tr\xe8s d\xe9\xe7u\n".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_unusable_files_raise_one_clear_line(
    classifier: CommentClassifier, tmp_path: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    with pytest.raises(ClassifierInputError) as info:
        classify_file(src, tmp_path / "out.csv", classifier=classifier)
    text = str(info.value)
    assert message in text and str(src) in text and "\n" not in text
    assert not (tmp_path / "out.csv").exists()


def test_missing_file(classifier: CommentClassifier, tmp_path: Path) -> None:
    with pytest.raises(ClassifierInputError, match="not found"):
        classify_file(tmp_path / "nope.csv", None, classifier=classifier)
