"""The blank Reflex app of benchmarks/pages.py: the yardstick for memory per browser."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="blank_app",
    telemetry_enabled=False,
    state_manager_mode=rx.constants.StateManagerMode.MEMORY,
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
)
