"""The baseline: a FastAPI hello-world, served exactly like the services (uvicorn, one process)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
