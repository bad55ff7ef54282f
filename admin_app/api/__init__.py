"""HTTP face: FastAPI routes mounted on Reflex's backend with `api_transformer`."""
