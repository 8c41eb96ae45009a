"""The dashboard, its CSV export and the weekly report: the team's follow-up figures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecoute.console.reports import PERIODS, dashboard, volumes_csv
from ecoute.console.views.common import CurrentUser, DbSession, console_state, render
from ecoute.core.models import utcnow

router = APIRouter()


def _days(value: int | None) -> int:
    return value if value in PERIODS else 30


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, session: DbSession, user: CurrentUser, days: int | None = None
) -> HTMLResponse:
    settings = console_state(request).settings
    report = dashboard(session, settings, days=_days(days), now=utcnow())
    return render(
        request,
        "dashboard.html",
        user,
        report=report,
        periods=PERIODS,
        chart_data=report.chart_data(),
    )


@router.get("/dashboard.csv")
def dashboard_csv(
    request: Request, session: DbSession, user: CurrentUser, days: int | None = None
) -> Response:
    settings = console_state(request).settings
    report = dashboard(session, settings, days=_days(days), now=utcnow())
    start = report.period.start.astimezone(report.period.zone).date().isoformat()
    name = f"ecoute-{start}-{report.period.days}d.csv"
    return Response(
        volumes_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/report/weekly", response_class=HTMLResponse)
def weekly_report(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """The week in one page, next to the week before: what a team lead forwards on Monday."""
    settings = console_state(request).settings
    report = dashboard(session, settings, days=7, now=utcnow(), compare=True)
    return render(request, "weekly.html", user, report=report)
