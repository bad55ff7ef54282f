"""Example extensions: `APP_EXTENSIONS=examples.reports` (docs/extending.md)."""
