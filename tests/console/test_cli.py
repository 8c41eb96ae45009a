"""The `ecoute` command, run as a user runs it: a real process, real files, real output."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ["init", "migrate", "run", "worker", "demo", "classify", "train", "draft"]


def ecoute(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecoute.console.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command() -> None:
    result = ecoute("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str) -> None:
    result = ecoute(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: ecoute {command}" in result.stdout


def test_init_then_migrate_then_bad_config(tmp_path: Path) -> None:
    first = ecoute("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "config.toml").exists()
    assert (tmp_path / "data" / "ecoute.db").exists()
    assert "console account created: admin / " in first.stdout

    second = ecoute("init", cwd=tmp_path)
    assert "already exists; keeping it" in second.stdout
    assert "console account created" not in second.stdout

    migrated = ecoute("migrate", cwd=tmp_path)
    assert migrated.returncode == 0 and "up to date" in migrated.stdout

    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace("poll_interval = 5", 'poll_interval = "5"'))
    broken = ecoute("run", cwd=tmp_path, timeout=60)
    assert broken.returncode == 2
    assert broken.stderr.strip().count("\n") == 0
    assert broken.stderr.startswith("ecoute: error: config.toml: sources[0].poll_interval:")
    assert "Traceback" not in broken.stderr


def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[brand]\nname = "F"\n', encoding="utf-8")
    result = ecoute("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `ecoute migrate`" in result.stderr


def test_classify_a_csv_file(tmp_path: Path) -> None:
    source = tmp_path / "comments.csv"
    source.write_text(
        "id,text\n"
        'a,"Ça fait 3 jours que ma fibre est coupée, personne ne répond au 3900 !!"\n'
        "b,How do I add a second line to my plan?\n"
        "c,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = ecoute("classify", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["id"] for row in rows] == ["a", "b"]
    assert list(rows[0]) == ["id", "category", "confidence", "language", "flags"]
    assert rows[0]["category"] == "complaint" and rows[0]["language"] == "fr"
    assert rows[1]["category"] == "service_question" and rows[1]["language"] == "en"
    assert f"{source}: row 4 skipped: empty 'text'" in result.stderr
    assert "2 rows written, 1 skipped" in result.stderr


def test_classify_missing_column_is_one_clear_line(tmp_path: Path) -> None:
    source = tmp_path / "comments.csv"
    source.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = ecoute("classify", str(source))
    assert result.returncode == 2
    assert result.stderr.startswith("ecoute: error: ")
    assert "text" in result.stderr and "Traceback" not in result.stderr


def test_classify_with_another_model_file(tmp_path: Path) -> None:
    from ecoute.classifiers import DEFAULT_MODEL_PATH, CommentClassifier

    model = tmp_path / "team.zip"
    shutil.copyfile(DEFAULT_MODEL_PATH, model)
    source = tmp_path / "comments.csv"
    source.write_text("id,text\n1,merci pour votre aide !\n", encoding="utf-8")
    result = ecoute("classify", str(source), "--model", str(model))
    assert result.returncode == 0, result.stderr
    assert f"model {CommentClassifier.load(model).version}" in result.stderr
    assert result.stdout.splitlines()[1].startswith("1,general_opinion,")

    garbage = tmp_path / "garbage.zip"
    garbage.write_text("not a model", encoding="utf-8")
    for path, message in ((tmp_path / "none.zip", "no such model file"), (garbage, "not an")):
        result = ecoute("classify", str(source), "--model", str(path))
        assert result.returncode == 2
        assert result.stderr.startswith(f"ecoute: error: {path}: {message}")


def test_draft_applies_the_configured_doubt_threshold(tmp_path: Path) -> None:
    from ecoute.core.settings import example_config_path

    source = tmp_path / "comments.csv"
    source.write_text("id,text\n1,bof on verra bien demain\n2,merci beaucoup !\n", encoding="utf-8")
    template = example_config_path().read_text(encoding="utf-8")
    assert "doubt_threshold = 0.2" in template
    categories = {}
    for threshold in ("0.0", "1.0"):
        config = tmp_path / f"config-{threshold}.toml"
        config.write_text(
            template.replace("doubt_threshold = 0.2", f"doubt_threshold = {threshold}"),
            encoding="utf-8",
        )
        result = ecoute("draft", str(source), "--config", str(config), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        categories[threshold] = [row["category"] for row in rows]
    assert categories["0.0"] == ["complaint", "complaint"]  # every comment is "in doubt"
    assert "complaint" not in categories["1.0"]  # the plain most likely category


def test_a_broken_team_model_is_one_line(tmp_path: Path) -> None:
    from ecoute.core.settings import example_config_path

    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "classifier.zip").write_text("half a download", encoding="utf-8")
    config = tmp_path / "config.toml"  # its data_dir, "data", is relative to this file
    shutil.copyfile(example_config_path(), config)
    source = tmp_path / "comments.csv"
    source.write_text("id,text\n1,merci\n", encoding="utf-8")
    result = ecoute("draft", str(source), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("ecoute: error: ") and "Traceback" not in result.stderr
    assert "classifier.zip: not an Écoute model file" in result.stderr
