"""Use cases. Plain Python: no Reflex, no FastAPI. Each face calls these."""
