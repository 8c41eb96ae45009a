"""Administration of the reply templates: list, edit with a live preview, add, revert.

Admin only: a template speaks for the brand in every reply drafted after it is saved.
A refused save shows the page again with the text as typed and the line at fault, so
nothing the admin wrote is lost.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ecoute.console.i18n import translator
from ecoute.console.reply_templates import (
    Preview,
    TemplateEditError,
    TemplateLibrary,
    Variant,
)
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

router = APIRouter(prefix="/admin/templates")

Source = Annotated[str, Form()]


def _library(request: Request) -> TemplateLibrary:
    return TemplateLibrary(console_state(request).settings)


def _checked(library: TemplateLibrary, language: str, case: str, name: str | None = None) -> None:
    try:
        library.check_names(language, case, name)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("", response_class=HTMLResponse)
def templates_page(request: Request, user: Admin) -> HTMLResponse:
    library = _library(request)
    catalogue = {code: library.cases(code) for code in library.languages()}
    return render(request, "templates_admin.html", user, catalogue=catalogue)


def _edit_page(
    request: Request,
    user: User,
    library: TemplateLibrary,
    *,
    language: str,
    case: str,
    name: str,
    source: str,
    variant: Variant | None,
    previews: list[Preview] | None = None,
    error: TemplateEditError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "template_edit.html",
        user,
        status_code=status_code,
        language=language,
        case=case,
        variant_name=name,
        source=source,
        variant=variant,
        shipped=library.shipped_source(variant) if variant else None,
        previews=previews,
        error=error,
        base_url=f"/admin/templates/{language}/{case}/{name}",
    )


@router.get("/{language}/{case}/new", response_class=HTMLResponse)
def new_variant(request: Request, language: str, case: str, user: Admin) -> HTMLResponse:
    """A new variant starts from the first one's text; nothing is written until it is saved."""
    library = _library(request)
    _checked(library, language, case)
    first = library.variants(language, case)
    source = library.source(first[0]) if first else ""
    name = library.next_name(language, case)
    previews, error = _try(library, language, case, name, source)
    return _edit_page(
        request,
        user,
        library,
        language=language,
        case=case,
        name=name,
        source=source,
        variant=None,
        previews=previews,
        error=error,
    )


@router.get("/{language}/{case}/{name}", response_class=HTMLResponse)
def edit_page(request: Request, language: str, case: str, name: str, user: Admin) -> HTMLResponse:
    library = _library(request)
    _checked(library, language, case, name)
    variant = library.find(language, case, name)
    if variant is None:
        raise HTTPException(status_code=404, detail=f"no variant {language}/{case}/{name}")
    source = library.source(variant)
    previews, error = _try(library, language, case, name, source)
    return _edit_page(
        request,
        user,
        library,
        language=language,
        case=case,
        name=name,
        source=source,
        variant=variant,
        previews=previews,
        error=error,
    )


def _try(
    library: TemplateLibrary, language: str, case: str, name: str, source: str
) -> tuple[list[Preview] | None, TemplateEditError | None]:
    try:
        return library.render_all(language, case, name, source), None
    except TemplateEditError as exc:
        return None, exc


@router.post(
    "/{language}/{case}/{name}/preview", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def preview(
    request: Request, language: str, case: str, name: str, user: Admin, source: Source = ""
) -> HTMLResponse:
    """The text the drafter would write on each platform, with its findings; nothing is
    saved. htmx asks for the fragment; without JavaScript the whole page comes back."""
    library = _library(request)
    _checked(library, language, case, name)
    previews, error = _try(library, language, case, name, source)
    if request.headers.get("hx-request"):
        return render(request, "_template_preview.html", user, previews=previews, error=error)
    return _edit_page(
        request,
        user,
        library,
        language=language,
        case=case,
        name=name,
        source=source,
        variant=library.find(language, case, name),
        previews=previews,
        error=error,
    )


@router.post("/{language}/{case}/{name}", response_model=None, dependencies=[CsrfChecked])
def save(
    request: Request,
    language: str,
    case: str,
    name: str,
    session: DbSession,
    user: Admin,
    source: Source = "",
) -> HTMLResponse | RedirectResponse:
    library = _library(request)
    _checked(library, language, case, name)
    try:
        library.save(session, user, language, case, name, source)
    except TemplateEditError as exc:
        return _edit_page(
            request,
            user,
            library,
            language=language,
            case=case,
            name=name,
            source=source,
            variant=library.find(language, case, name),
            error=exc,
            status_code=422,
        )
    flash(request, translator(user.language)["template_saved"])
    return back_to(f"/admin/templates/{language}/{case}/{name}")


@router.post("/{language}/{case}/{name}/revert", dependencies=[CsrfChecked])
def revert(
    request: Request, language: str, case: str, name: str, session: DbSession, user: Admin
) -> RedirectResponse:
    library = _library(request)
    _checked(library, language, case, name)
    remaining = library.revert(session, user, language, case, name)
    flash(request, translator(user.language)["template_reverted"])
    if remaining is None:
        return back_to(f"/admin/templates#{language}-{case}", "/admin/templates")
    return back_to(f"/admin/templates/{language}/{case}/{name}")
