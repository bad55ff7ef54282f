"""/login: the sign-in page of every mode.

`state` holds the page's state, `flow` the service calls, `page` the page.
"""

from admin_app.ui.pages.login import page  # noqa: F401  (importing it registers the page)
from admin_app.ui.pages.login.flow import begin_sign_in
from admin_app.ui.pages.login.state import LoginState

__all__ = ["LoginState", "begin_sign_in"]
