"""All routes of the service. Route names are the contract's operationIds, so url_for() and the
tests speak the contract's language."""

from fastapi import APIRouter

from .. import health
from ..auth.router import router as auth_router
from ..projects.router import router as projects_router
from ..tenants.router import router as tenants_router
from ..users.router import router as users_router

api_router = APIRouter()
api_router.include_router(health.router)

v1 = APIRouter(prefix="/api/v1")
for feature_router in (auth_router, users_router, tenants_router, projects_router):
    v1.include_router(feature_router)
api_router.include_router(v1)
