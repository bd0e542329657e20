"""The golden-record API: routers per area, mounted under /api by integration/web/app.py."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every API route, under /api."""
    from integration.web.api import changes, golden, lookup, search, status

    router = APIRouter(prefix="/api")
    for area in (golden, lookup, search, changes, status):
        router.include_router(area.router)
    return router
