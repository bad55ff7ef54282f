"""Pure security primitives: no database, no web framework."""
