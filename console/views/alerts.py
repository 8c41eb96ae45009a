"""The alerts page: what is open, who has seen it, and the history; one alert's page,
which the alert messages link to. Acknowledging here and from the link in a message go
through the same `monitor.alerts.acknowledge`, so reminders stop either way."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from ecoute.console.i18n import translator
from ecoute.console.views.common import (
    CsrfChecked,
    CurrentUser,
    DbSession,
    back_to,
    flash,
    render,
)
from ecoute.core.domain import AlertStatus
from ecoute.core.models import Alert
from ecoute.monitor.alerts import acknowledge, resolve

router = APIRouter()
HISTORY = 100


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    active = session.scalars(
        select(Alert)
        .where(Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.status, Alert.created_at.desc())
    ).all()
    history = session.scalars(
        select(Alert)
        .where(Alert.status == AlertStatus.RESOLVED)
        .order_by(Alert.resolved_at.desc())
        .limit(HISTORY)
    ).all()
    resolved_total = session.scalar(
        select(func.count()).select_from(Alert).where(Alert.status == AlertStatus.RESOLVED)
    )
    return render(
        request,
        "alerts.html",
        user,
        active=active,
        history=history,
        resolved_total=resolved_total or 0,
    )


@router.get("/alerts/{alert_id:int}", response_class=HTMLResponse)
def alert_page(
    request: Request, alert_id: int, session: DbSession, user: CurrentUser
) -> HTMLResponse:
    return render(request, "alert.html", user, alert=_alert(session, alert_id))


def _alert(session: DbSession, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status_code=404, detail=f"no alert {alert_id}")
    return alert


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge_alert(
    request: Request,
    alert_id: int,
    session: DbSession,
    user: CurrentUser,
    back: Annotated[str, Form()] = "/alerts",
) -> RedirectResponse:
    acknowledge(session, _alert(session, alert_id), user=user, via="console")
    flash(request, translator(user.language)["acknowledged"])
    return back_to(back, "/alerts")


@router.post("/alerts/{alert_id}/resolve", dependencies=[CsrfChecked])
def resolve_alert(
    request: Request,
    alert_id: int,
    session: DbSession,
    user: CurrentUser,
    back: Annotated[str, Form()] = "/alerts",
) -> RedirectResponse:
    resolve(session, _alert(session, alert_id), user=user)
    flash(request, translator(user.language)["alert_resolved"])
    return back_to(back, "/alerts")
