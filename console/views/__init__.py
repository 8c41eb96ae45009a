"""The console's pages, one module per page family; `router` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from ecoute.console.views import admin, alerts, auth, cases, dashboard, health, queue

router = APIRouter()
for module in (auth, queue, cases, dashboard, alerts, health, admin):
    router.include_router(module.router)

__all__ = ["router"]
