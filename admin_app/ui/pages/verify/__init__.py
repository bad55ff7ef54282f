"""/verify: the code screen of sign-in, sign-up and second factors.

`state` holds the waiting step (/login and /signup park theirs there), `flow`
the service calls, `code_boxes` and `fields` the parts, `page` the page.
"""

from admin_app.ui.pages.verify import page  # noqa: F401  (importing it registers the page)
from admin_app.ui.pages.verify.state import VerifyState

__all__ = ["VerifyState"]
