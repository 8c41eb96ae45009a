"""Reading a user's file of comments: usable rows kept, bad rows reported, bad files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoute.core.inputs import BadRow, InputFileError, iter_records, read_text


def records(path: Path, bad: list[BadRow]) -> list[tuple[int, dict]]:
    text = read_text(path)
    return list(iter_records(path, text, id_column="id", text_column="text", hint="fix", bad=bad))


def test_csv_with_byte_order_mark_and_jsonl_with_bad_lines(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_bytes('\ufeffid,text\n1,Bonjour\n2,"ligne, avec virgule"\n'.encode())
    bad: list[BadRow] = []
    assert [(n, r["text"]) for n, r in records(csv_file, bad)] == [
        (2, "Bonjour"),
        (3, "ligne, avec virgule"),
    ]
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text('{"id": 1, "text": "ok"}\n\n{"id": 2, "text": \n[1, 2]\n', encoding="utf-8")
    assert [n for n, _ in records(jsonl, bad)] == [1]
    assert [(b.row, b.reason.split(" (")[0]) for b in bad] == [
        (3, "invalid JSON"),
        (4, "not a JSON object"),
    ]
    assert str(bad[1]) == "line 4: not a JSON object"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"id,text\n1,caf\xe9\n", "not valid UTF-8 (byte 13)"),
        (b"id,body\n1,x\n", "no column 'text' (found: id, body); fix"),
        (b'{"id": 1, "body": "x"}\n', "no record has the field 'text'; fix"),
    ],
)
def test_unusable_files_name_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        records(path, [])
    with pytest.raises(InputFileError, match="file not found"):
        read_text(tmp_path / "absent.csv")
