"""Acknowledging an alert from the signed link in its message, without signing in.

The crisis contact reads the alert on a phone, often without a console account; the
link's token is the credential (signed with the instance's key, for one alert, expiring).
Opening the link only shows the alert and a button: mail scanners and link previews
fetch every URL in a message, so a GET never changes anything. The button's POST is
authorised by the token itself, which a cross-site attacker does not have, so it needs
no session and no CSRF token. The token stays out of other sites' logs: these pages
send no referrer at all and load nothing from elsewhere, and uvicorn's access log is off.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ecoute.console.i18n import LANGUAGES, translator
from ecoute.console.views.common import DbSession, console_state
from ecoute.core.keys import instance_secret_key
from ecoute.core.models import Alert
from ecoute.monitor.alerts import AlertError, acknowledge, alert_id_from_token

router = APIRouter()


def _language(request: Request) -> str:
    """The visitor's language: the console's choice if they have one, else their browser's,
    else the brand's."""
    chosen = request.session.get("language")
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    default = console_state(request).settings.brand.default_language
    return default if default in LANGUAGES else "en"


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Rendered without the session helpers: an anonymous visit leaves no cookie behind."""
    state = console_state(request)
    language = _language(request)
    response = state.templates.TemplateResponse(
        request,
        "alert_ack.html",
        {
            "user": None,
            "t": translator(language),
            "lang": language,
            "csrf_token": "",
            "path": "",
            "flash": None,
            "alert": None,
            "error": None,
            "done": False,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _alert_for(request: Request, session: Session, token: str) -> Alert | HTMLResponse:
    """The alert the token names, or the page explaining why the link cannot be used."""
    key = instance_secret_key(console_state(request).settings)
    try:
        alert_id = alert_id_from_token(key, token)
    except AlertError as exc:
        return _page(request, status_code=400, error=str(exc))
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status_code=404, detail=f"alert {alert_id} no longer exists")
    return alert


@router.get("/alerts/ack/{token}", response_class=HTMLResponse)
def ack_page(request: Request, token: str, session: DbSession) -> HTMLResponse:
    """Show the alert and the confirmation button; nothing changes here."""
    found = _alert_for(request, session, token)
    if isinstance(found, HTMLResponse):
        return found
    return _page(request, alert=found)


@router.post("/alerts/ack/{token}", response_class=HTMLResponse)
def ack_by_link(request: Request, token: str, session: DbSession) -> HTMLResponse:
    """Stop the reminders; pressing twice is harmless."""
    found = _alert_for(request, session, token)
    if isinstance(found, HTMLResponse):
        return found
    acknowledge(session, found, user=None, via="link")
    return _page(request, alert=found, done=True)
