"""The review web app: pages for admins and data stewards under ``/review``.

``router`` holds every page; ``integration/web/app.py`` includes it. The pages read the
hub through ``app.state`` (see ``web.hub_of``) and act through the same functions as the
CLI: ``integration.review.decide``, ``integration.identity`` (split, merge),
``integration.quality_ops`` (correct, override).
"""

from __future__ import annotations

from fastapi import APIRouter

from integration.web.review import admin, golden, pairs
from integration.web.review.web import PREFIX, PageRoute

__all__ = ["PREFIX", "router"]

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)
router.include_router(admin.router)
router.include_router(pairs.router)
router.include_router(golden.router)
