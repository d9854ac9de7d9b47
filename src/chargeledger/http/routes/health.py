from fastapi import APIRouter, Depends
from sqlalchemy import Engine, text

from ... import __version__
from ..deps import engine_of

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(engine: Engine = Depends(engine_of)) -> dict:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": engine.dialect.name}
