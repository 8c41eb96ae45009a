"""The console's pages, one module per page family; `router` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from ecoute.console.views import (
    admin,
    alert_links,
    alerts,
    auth,
    cases,
    dashboard,
    health,
    incidents,
    knowledge_admin,
    queue,
    templates_admin,
)

router = APIRouter()
for module in (
    auth,
    queue,
    cases,
    dashboard,
    alerts,
    alert_links,
    incidents,
    health,
    admin,
    templates_admin,
    knowledge_admin,
):
    router.include_router(module.router)

__all__ = ["router"]
