"""Before a page load's state reaches the browser, drop what belongs to no one signed in.

Reflex sends a tab's whole state at every page load (its hydrate event),
before any on_load handler runs. A session can end without this tab's doing
(idle, signed out elsewhere, the account disabled), and the next person to
sign in on the tab would receive the last user's page states in that first
frame. This middleware runs first on the hydrate event: when the state
belongs to a user whom the cookie no longer signs in, every page state is
reset before it is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reflex.middleware import Middleware
from reflex_base.event import Event, get_hydrate_event

from admin_app.ui.state.auth import AuthState, session_user, token_from_cookie

if TYPE_CHECKING:
    from reflex.state import BaseState


class ForgetStaleUser(Middleware):
    async def preprocess(self, app: Any, state: BaseState, event: Event) -> None:
        # Reflex 0.10 names it `hydrate_and_load`; older ones, `hydrate`.
        hydrate = get_hydrate_event(state)
        if event.name not in (hydrate, f"{hydrate}_and_load"):
            return None
        auth = await state.get_state(AuthState)
        if not auth._user_id:
            return None
        headers = event.router_data.get("headers", {})
        user = await session_user(token_from_cookie(str(headers.get("cookie", ""))))
        if user is None or user.user_id != auth._user_id:
            auth._forget_everything()
        return None
