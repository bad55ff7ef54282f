"""admin_app: a Reflex admin panel whose authentication comes complete."""

__version__ = "0.1.0"
