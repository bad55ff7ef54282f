"""Public facts about this deployment."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from admin_app import __version__
from admin_app.api.deps import AppSettings

router = APIRouter(tags=["info"])


class Info(BaseModel):
    auth_mode: str
    signup_enabled: bool
    oauth_providers: list[str]
    version: str


@router.get("/info")
async def info(settings: AppSettings) -> Info:
    """How this deployment signs users in."""
    return Info(
        auth_mode=settings.auth_mode,
        signup_enabled=settings.signup_enabled,
        oauth_providers=[provider.name for provider in settings.oauth],
        version=__version__,
    )
