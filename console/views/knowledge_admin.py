"""Administration of the knowledge base: each language's questions and answers as TOML.

Admin only: an answer is published as it is, in public, to everyone who asks. A refused
save shows the page again with the text as typed and the entry at fault.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ecoute.console import knowledge_edit
from ecoute.console.i18n import translator
from ecoute.console.views.common import (
    Admin,
    CsrfChecked,
    DbSession,
    back_to,
    console_state,
    flash,
    render,
)
from ecoute.core.models import User
from ecoute.responders.knowledge import KnowledgeError

router = APIRouter(prefix="/admin/knowledge")


def _page(
    request: Request,
    user: User,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = console_state(request).settings
    try:
        files = [knowledge_edit.current(settings, code) for code in settings.brand.languages]
    except KnowledgeError as exc:  # the configured folder is missing: say so, do not crash
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return render(
        request,
        "knowledge_admin.html",
        user,
        status_code=status_code,
        files=files,
        typed=typed or {},
        errors=errors or {},
    )


@router.get("", response_class=HTMLResponse)
def knowledge_page(request: Request, user: Admin) -> HTMLResponse:
    return _page(request, user)


def _language(request: Request, language: str) -> str:
    if language not in console_state(request).settings.brand.languages:
        raise HTTPException(status_code=404, detail=f"the brand does not answer in {language!r}")
    return language


@router.post("/{language}", response_model=None, dependencies=[CsrfChecked])
def save(
    request: Request,
    language: str,
    session: DbSession,
    user: Admin,
    text: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    settings = console_state(request).settings
    _language(request, language)
    try:
        count = knowledge_edit.save(session, settings, user, language, text)
    except knowledge_edit.KnowledgeEditError as exc:
        return _page(
            request, user, typed={language: text}, errors={language: str(exc)}, status_code=422
        )
    flash(request, translator(user.language)["knowledge_saved"].format(count=count))
    return back_to(f"/admin/knowledge#knowledge-{language}", "/admin/knowledge")


@router.post("/{language}/revert", dependencies=[CsrfChecked])
def revert(request: Request, language: str, session: DbSession, user: Admin) -> RedirectResponse:
    _language(request, language)
    knowledge_edit.revert(session, console_state(request).settings, user, language)
    flash(request, translator(user.language)["knowledge_reverted"])
    return back_to(f"/admin/knowledge#knowledge-{language}", "/admin/knowledge")
