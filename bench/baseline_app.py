"""The peer of the write path: a plain FastAPI + SQLAlchemy endpoint that validates the same
allegation body and inserts it as one row, nothing more (no auth, events, outbox, idempotency,
vault or broker). It runs on the same database engine settings as the services, so the ratio
measures what Remedium adds on top of a plain insert.

Started by the benchmark as ``uvicorn bench.baseline_app:create_app --factory`` with
``BASELINE_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, insert

from shared.database import make_engine

metadata = MetaData()
allegations = Table(
    "allegations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("country", String(2), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class Allegation(BaseModel):
    model_config = ConfigDict(extra="allow")

    channel: str
    alleged_abuses: list[str]
    minerals: list[str]
    country: str
    summary: str
    reporter: dict[str, Any]


def create_app() -> FastAPI:
    engine = make_engine(os.environ["BASELINE_DATABASE_URL"])
    metadata.create_all(engine)
    app = FastAPI(title="plain insert endpoint")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.post("/v1/incidents", status_code=201)
    def submit(body: Allegation) -> JSONResponse:
        row_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(
                insert(allegations).values(
                    id=row_id,
                    channel=body.channel,
                    country=body.country,
                    body=body.model_dump(mode="json"),
                    created_at=datetime.now(UTC),
                )
            )
        return JSONResponse({"id": row_id}, status_code=201)

    return app
