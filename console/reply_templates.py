"""Admins edit the reply templates from the console.

The shipped templates stay untouched in the installed package; an edited or added
variant is written to `<data_dir>/templates/replies/<lang>/<case>/<n>.j2`, which the
drafter reads first (see `responders.drafting`). Reverting deletes that copy, so the
shipped wording, and any improvement an upgrade brings to it, applies again.

A template that does not parse or fails to render in the sandbox is refused before it
reaches the file, with the line at fault: a broken variant would otherwise surface as a
failed drafting batch at 3 a.m. Rendering uses sample values for every platform and
every shortening level the drafter may use, and the preview runs the responder's checks
on the text the drafter would actually pick.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from jinja2 import TemplateSyntaxError
from sqlalchemy.orm import Session

from ecoute.console.atomic import replace_file
from ecoute.core.audit import record
from ecoute.core.domain import Action, Category, Platform
from ecoute.core.models import User
from ecoute.core.settings import Settings
from ecoute.responders import policy
from ecoute.responders.checks import POST, check_draft
from ecoute.responders.drafting import (
    LEVELS,
    CommentView,
    Drafter,
    template_overrides_dir,
    templates_dir,
    tidy,
)
from ecoute.responders.flows import drafter_for
from ecoute.responders.incidents import IncidentView
from ecoute.responders.length import limit_for, weighted_length

VARIANT = re.compile(r"^[1-9][0-9]{0,2}\.j2$")
CASE = re.compile(r"^[a-z][a-z_]{0,40}$")
#: A reply template is a few sentences; anything this long is a mistake or an abuse.
MAX_SOURCE = 20_000
PLATFORMS = (Platform.X.value, Platform.FACEBOOK.value)

#: What each case answers, so that the checks judge a preview as they judge a draft.
CASE_KINDS: dict[str, tuple[str | None, str]] = {
    policy.COMPLAINT: (Category.COMPLAINT, Action.REPLY),
    policy.COMPLAINT_INCIDENT: (Category.COMPLAINT, Action.REPLY),
    policy.SERVICE_ANSWER: (Category.SERVICE_QUESTION, Action.REPLY),
    policy.SERVICE_PRIVATE: (Category.SERVICE_QUESTION, Action.REPLY),
    policy.PRAISE: (Category.GENERAL_OPINION, Action.REPLY),
    policy.PRIVATE_MESSAGE: (Category.COMPLAINT, Action.PRIVATE_REPLY),
    policy.FOLLOWUP: (Category.COMPLAINT, Action.PRIVATE_REPLY),
    policy.INCIDENT_POST: (None, POST),
    policy.INCIDENT_RESOLVED_POST: (None, POST),
}
#: Title, summary and resolution of the incident the previews talk about.
SAMPLE_INCIDENT = {
    "fr": (
        "Panne fibre Lyon",
        "Une panne touche la fibre à Lyon depuis 9 h",
        "Un équipement a été remplacé",
    ),
    "en": (
        "Fibre outage in Lyon",
        "An outage has affected fibre in Lyon since 9am",
        "A faulty router was replaced",
    ),
}


class TemplateEditError(Exception):
    """A template cannot be saved as written; `line` points at the fault when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True, slots=True)
class Variant:
    language: str
    case: str
    name: str
    #: "shipped" (as installed), "edited" (the team's copy replaces it) or "added".
    origin: str

    @property
    def key(self) -> str:
        return f"{self.language}/{self.case}/{self.name}"

    @property
    def template_name(self) -> str:
        return f"replies/{self.language}/{self.case}/{self.name}"


@dataclass(frozen=True, slots=True)
class Preview:
    """What the drafter would write on one platform, with the checks' findings."""

    platform: str
    text: str
    length: int
    limit: int
    level: int
    findings: list[dict[str, str]] = field(default_factory=list)


def _number(name: str) -> int:
    return int(name.removesuffix(".j2")) if name.removesuffix(".j2").isdigit() else 10**6


def _error_line(traceback: TracebackType | None) -> int | None:
    """The line of the edited template where rendering failed (Jinja keeps it in the
    traceback as the frame of the compiled `<template>`)."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


class TemplateLibrary:
    """The reply templates of one instance: shipped ones, and the team's copies on top."""

    def __init__(self, settings: Settings, drafter: Drafter | None = None) -> None:
        self.settings = settings
        self.drafter = drafter or drafter_for(settings)
        self.shipped = templates_dir() / "replies"
        self.edited = template_overrides_dir(settings) / "replies"

    # -- finding ----------------------------------------------------------------------
    def languages(self) -> list[str]:
        return [code for code in self.settings.brand.languages if (self.shipped / code).is_dir()]

    def cases(self, language: str) -> dict[str, list[Variant]]:
        """Each case of a language with its variants in drafting order."""
        names: set[str] = set()
        for root in (self.shipped, self.edited):
            folder = root / language
            if folder.is_dir():
                names |= {p.name for p in folder.iterdir() if p.is_dir() and CASE.match(p.name)}
        return {case: self.variants(language, case) for case in sorted(names)}

    def variants(self, language: str, case: str) -> list[Variant]:
        shipped = {p.name for p in (self.shipped / language / case).glob("*.j2")}
        edited = {p.name for p in (self.edited / language / case).glob("*.j2")}
        found = []
        for name in sorted(shipped | edited, key=lambda n: (_number(n), n)):
            if not VARIANT.match(name):
                continue
            origin = "shipped" if name not in edited else "edited" if name in shipped else "added"
            found.append(Variant(language, case, name, origin))
        return found

    def check_names(self, language: str, case: str, name: str | None = None) -> None:
        """Refuse a language, case or file name that is not one of ours: these come from
        the URL and become a path on disk."""
        if language not in self.languages():
            raise LookupError(f"no reply templates in language {language!r}")
        if not CASE.match(case) or case not in self.cases(language):
            raise LookupError(f"no reply template case {case!r} in {language}")
        if name is not None and not VARIANT.match(name):
            raise LookupError(f"{name!r} is not a variant name; variants are 1.j2, 2.j2, …")

    def find(self, language: str, case: str, name: str) -> Variant | None:
        self.check_names(language, case, name)
        return next((v for v in self.variants(language, case) if v.name == name), None)

    def next_name(self, language: str, case: str) -> str:
        self.check_names(language, case)
        numbers = [_number(v.name) for v in self.variants(language, case)]
        return f"{max(numbers, default=0) + 1}.j2"

    def source(self, variant: Variant) -> str:
        path = self.edited if variant.origin != "shipped" else self.shipped
        return (path / variant.language / variant.case / variant.name).read_text(encoding="utf-8")

    def shipped_source(self, variant: Variant) -> str | None:
        path = self.shipped / variant.language / variant.case / variant.name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    # -- judging ----------------------------------------------------------------------
    def _context(self, language: str, case: str, platform: str) -> dict[str, Any]:
        author = ("Marie Dupont", "marie_d") if platform == Platform.X else (None, "")
        comment = CommentView(
            text="", platform=platform, author_name=author[0], author_handle=author[1]
        )
        context = self.drafter.context(comment, language)
        if case == policy.SERVICE_ANSWER:
            entries = [e for e in self.drafter.knowledge.entries if e.language == language]
            if entries:
                context["answer"] = {"text": entries[0].answer, "link": entries[0].link}
            else:
                context["answer"] = {"text": "…", "link": None}
        if "incident" in case:
            title, summary, resolution = SAMPLE_INCIDENT.get(language, SAMPLE_INCIDENT["en"])
            view = IncidentView.build(
                id=0,
                title=title,
                summary={language: summary},
                status_url=self.settings.incident.status_url or "https://status.example",
                keywords=["panne*"],
                resolution={language: resolution} if "resolved" in case else {},
            )
            context["incident"] = view.context(language)
        return context

    def render_all(self, language: str, case: str, name: str, source: str) -> list[Preview]:
        """Render the source on every platform and level, as the drafter would; raise
        TemplateEditError with the line at fault when it does not parse or render."""
        self.check_names(language, case, name)
        if len(source) > MAX_SOURCE:
            raise TemplateEditError(f"a template is at most {MAX_SOURCE} characters")
        if not source.strip():
            raise TemplateEditError("the template is empty; write the reply, or revert")
        env = self.drafter.renderer.env
        try:
            template = env.from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateEditError(exc.message or str(exc), exc.lineno) from None
        category, action = CASE_KINDS.get(case, (None, Action.REPLY))
        variant_name = f"replies/{language}/{case}/{name}"
        previews = []
        for platform in PLATFORMS:
            context = self._context(language, case, platform)
            limit = limit_for(platform, private=action == Action.PRIVATE_REPLY)
            chosen: tuple[str, int, int] | None = None
            for level in LEVELS:
                try:
                    text = tidy(template.render(**context, level=level, variant=variant_name))
                except Exception as exc:  # TemplateError, SecurityError, or a division by zero
                    raise TemplateEditError(
                        f"{exc.__class__.__name__}: {exc} ({platform}, level {level})",
                        _error_line(exc.__traceback__),
                    ) from None
                if not text and level == 0:
                    raise TemplateEditError(f"the template writes nothing on {platform}")
                length = weighted_length(text, platform)
                if chosen is None or (chosen[1] > limit and length < chosen[1]):
                    chosen = (text, length, level)
            assert chosen is not None
            text, length, level = chosen
            findings = check_draft(
                text,
                platform=platform,
                language=language,
                category=category,
                action=action,
                settings=self.settings,
            )
            previews.append(
                Preview(platform, text, length, limit, level, [f.as_dict() for f in findings])
            )
        return previews

    # -- changing ---------------------------------------------------------------------
    def save(
        self, session: Session, user: User, language: str, case: str, name: str, source: str
    ) -> Variant:
        """Validate, then write the team's copy and record the change."""
        source = source.replace("\r\n", "\n")
        self.render_all(language, case, name, source)
        existing = self.find(language, case, name)
        before = {"origin": existing.origin, "source": self.source(existing)} if existing else None
        if before is not None and before["source"] == source:
            return existing  # type: ignore[return-value]
        record(
            session,
            actor=user,
            action="template.save" if existing else "template.add",
            entity_type="reply_template",
            entity_id=f"{language}/{case}/{name}",
            before=before,
            after={"source": source},
        )
        session.flush()
        replace_file(self.edited / language / case / name, source)
        self.drafter.refresh()
        saved = self.find(language, case, name)
        assert saved is not None
        return saved

    def revert(
        self, session: Session, user: User, language: str, case: str, name: str
    ) -> Variant | None:
        """Drop the team's copy: the shipped variant applies again, an added one is gone."""
        variant = self.find(language, case, name)
        if variant is None or variant.origin == "shipped":
            return variant
        shipped = self.shipped_source(variant)
        record(
            session,
            actor=user,
            action="template.revert",
            entity_type="reply_template",
            entity_id=variant.key,
            before={"origin": variant.origin, "source": self.source(variant)},
            after={"origin": "shipped", "source": shipped} if shipped is not None else None,
        )
        session.flush()
        (self.edited / language / case / name).unlink(missing_ok=True)
        self.drafter.refresh()
        return self.find(language, case, name)
