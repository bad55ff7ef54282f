"""A bare FastAPI app: the yardstick for this app's request overhead.

One `async` JSON endpoint and nothing else, served by the same granian as the
app (`benchmarks/api.py` starts both): what a FastAPI request costs on this
machine before any middleware, routing of pages or database.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
