"""The page catalogue finds a page by Reflex's route pattern, the root's "index" too."""

from __future__ import annotations

from admin_app.ui import page_catalogue


def test_built_in_pages_are_found_by_any_spelling_of_their_route() -> None:
    import admin_app.admin_app  # noqa: F401  (registers the pages)

    assert page_catalogue.find("/users") is page_catalogue.find("users/")
    for spelling in ["/", "index", "/index", ""]:
        found = page_catalogue.find(spelling)
        assert found is not None and found.title == "Dashboard", spelling
    users = page_catalogue.find("/users")
    assert users is not None and users.permission == "users:read"
    assert page_catalogue.find("/nowhere") is None


def test_the_sidebar_order() -> None:
    import admin_app.admin_app  # noqa: F401

    labels = [page.nav.label for page in page_catalogue.nav_entries() if page.nav]
    assert labels[:4] == ["Dashboard", "Users", "API keys", "Audit log"]


def test_setup_mfa_is_a_signed_in_page_without_a_sidebar_entry() -> None:
    import admin_app.admin_app  # noqa: F401

    found = page_catalogue.find("/setup-mfa")
    assert found is not None and found.permission is None and found.nav is None
    assert "/setup-mfa" not in [page.route for page in page_catalogue.nav_entries()]
