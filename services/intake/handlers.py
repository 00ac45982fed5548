"""Intake's use cases: seal what is personal, let the Incident decide, append, keep the incident
list current, answer. Everything a command writes shares one transaction."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from services.intake.domain import Incident, SubmitAllegation
from services.intake.domain.guards import allowed_next_steps
from services.intake.tables import incident_list, reply_tokens
from shared.aggregate_handlers import AggregateHandlers
from shared.commands import Command, CommandResult
from shared.database import DriverStatement, read_transaction
from shared.errors import InvalidCommand, NotFound
from shared.http import RequestContext, command_response
from shared.idempotency import IdempotencyRequest, StoredResponse
from shared.vault import Plaintext, new_ref

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_INSERT_REPLY_TOKEN = insert(reply_tokens)
_INSERT_LIST_ROW = DriverStatement(
    insert(incident_list).values({c.name: bindparam(c.name) for c in incident_list.c}),
    {c.name: c.type for c in incident_list.c},
)


def new_reference(now: datetime) -> str:
    """A short, non-identifying case code such as ``INC-2026-7KQ2MZ``.

    One random byte per character (the alphabet has 32 letters, so ``byte % 32`` is uniform),
    drawn in a single call rather than one system call per character."""
    code = "".join(_REFERENCE_ALPHABET[byte % 32] for byte in secrets.token_bytes(6))
    return f"INC-{now.year}-{code}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IncidentFilters:
    status: str | None = None
    country: str | None = None
    mineral: str | None = None
    immediate_danger: bool | None = None


class IntakeHandlers(AggregateHandlers[Incident]):
    aggregate_type = Incident

    # --- commands ----------------------------------------------------------------------
    def submit(
        self, cmd: SubmitAllegation, context: RequestContext, idempotency: IdempotencyRequest | None
    ) -> StoredResponse:
        incident_id, reporter_id = uuid.uuid4(), uuid.uuid4()
        tenant = context.actor.tenant
        summary_ref = new_ref()
        contact = cmd.reporter.contact.get_secret_value() if cmd.reporter.contact else None
        contact_ref = new_ref() if contact else None
        reply_token = secrets.token_urlsafe(24) if contact is None else None

        sealed = [Plaintext("allegation_summary", cmd.summary.get_secret_value(), summary_ref)]
        if contact is not None and contact_ref is not None:
            sealed.append(Plaintext("reporter_contact", contact, contact_ref))

        def seal(conn: Connection, _: CommandResult) -> None:
            # The reporter is new with this allegation: their key is created, not looked up.
            self.runtime.vault.seal_many(
                conn, tenant=tenant, subject_id=str(reporter_id), values=sealed, new_subject=True
            )
            if reply_token is not None:
                conn.execute(
                    _INSERT_REPLY_TOKEN,
                    {
                        "token_hash": token_hash(reply_token),
                        "tenant": tenant,
                        "incident_id": str(incident_id),
                        "created_at": context.now,
                    },
                )

        def create() -> Incident:
            return Incident.submit(
                incident_id,
                cmd,
                context.command,
                reference=new_reference(context.now),
                summary_ref=summary_ref,
                reporter_id=reporter_id,
                contact_ref=contact_ref,
                has_reply_token=reply_token is not None,
            )

        def respond(result: CommandResult) -> StoredResponse:
            body = self.accepted(result)
            if reply_token is not None:
                body["reply_token"] = reply_token
            return command_response(201, body, result.version)

        return self.runner.run(
            Command(
                stream_id=str(incident_id),
                context=context.append(),
                decide=lambda _: None,
                respond=respond,
                create=create,
                idempotency=idempotency,
                also_write=[seal, self.update_read_model],
            )
        )

    def require_incident(self, incident_id: uuid.UUID, tenant: str) -> None:
        """404 unless the incident exists for this tenant (for links between incidents)."""
        with read_transaction(self.runtime.engine) as conn:
            found = conn.execute(
                select(incident_list.c.incident_id).where(
                    incident_list.c.incident_id == str(incident_id),
                    incident_list.c.tenant == tenant,
                )
            ).first()
        if found is None:
            raise NotFound("no such incident")

    # --- queries -----------------------------------------------------------------------
    def incident(self, incident_id: uuid.UUID, tenant: str) -> tuple[dict[str, Any], int]:
        incident = self.repository.load(str(incident_id), tenant)
        view = incident.state.model_dump(mode="json")
        view["incident_id"] = str(incident_id)
        view["version"] = incident.version
        view["blocking_next_step"] = allowed_next_steps(incident.state)
        return view, incident.version

    def list_incidents(
        self, tenant: str, filters: IncidentFilters, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = select(incident_list).where(incident_list.c.tenant == tenant)
        if filters.status:
            query = query.where(incident_list.c.status == filters.status)
        if filters.country:
            query = query.where(incident_list.c.country == filters.country)
        if filters.immediate_danger is not None:
            query = query.where(incident_list.c.immediate_danger == filters.immediate_danger)
        if cursor:
            received_at, incident_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    incident_list.c.received_at < received_at,
                    and_(
                        incident_list.c.received_at == received_at,
                        incident_list.c.incident_id < incident_id,
                    ),
                )
            )
        query = query.order_by(
            incident_list.c.received_at.desc(), incident_list.c.incident_id.desc()
        )
        with read_transaction(self.runtime.engine) as conn:
            rows = list(conn.execute(query))
        if (
            filters.mineral
        ):  # JSON arrays: filtered here to stay portable across SQLite and PostgreSQL
            rows = [row for row in rows if filters.mineral in row.minerals]
        page = rows[:limit]
        items = [_list_item(row) for row in page]
        next_cursor = _encode_cursor(page[-1]) if len(rows) > limit else None
        return items, next_cursor

    def report_status(self, token: str, tenant: str) -> dict[str, Any]:
        """What an anonymous reporter may learn through the reply token: reference and stage."""
        with read_transaction(self.runtime.engine) as conn:
            row = conn.execute(
                select(incident_list)
                .join(reply_tokens, reply_tokens.c.incident_id == incident_list.c.incident_id)
                .where(
                    reply_tokens.c.token_hash == token_hash(token), reply_tokens.c.tenant == tenant
                )
            ).first()
        if row is None:
            raise NotFound("no report with this reply token")
        return {
            "reference": row.reference,
            "status": row.status,
            "updated_at": row.updated_at.isoformat(),
        }

    # --- the incident list read model ---------------------------------------------------
    def accepted(self, result: CommandResult) -> dict[str, Any]:
        incident: Incident = result.aggregate  # type: ignore[assignment]
        return {
            **super().accepted(result),
            "reference": incident.state.reference,
            "status": str(incident.state.status),
        }

    def update_read_model(self, conn: Connection, result: CommandResult) -> None:
        """The incident list row: inserted with the incident, updated by every command."""
        if not result.envelopes:
            return
        incident: Incident = result.aggregate  # type: ignore[assignment]
        state, last = incident.state, result.envelopes[-1]
        values = {
            "status": str(state.status),
            "abuse_types": [str(a) for a in state.alleged_abuses],
            "immediate_danger": state.immediate_danger,
            "updated_at": last.time,
            "version": result.version,
        }
        if result.envelopes[0].streamversion == 1:
            _INSERT_LIST_ROW.execute(
                conn,
                [
                    {
                        "incident_id": incident.stream_id,
                        "tenant": last.tenant,
                        "reference": state.reference,
                        "channel": str(state.channel),
                        "minerals": [str(m) for m in state.minerals],
                        "country": state.country,
                        "child_involved": state.child_involved,
                        "received_at": state.received_at,
                        **values,
                    }
                ],
            )
        else:
            conn.execute(
                update(incident_list)
                .where(incident_list.c.incident_id == incident.stream_id)
                .values(**values)
            )


def _list_item(row: Any) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "reference": row.reference,
        "status": row.status,
        "channel": row.channel,
        "minerals": row.minerals,
        "abuse_types": row.abuse_types,
        "country": row.country,
        "immediate_danger": row.immediate_danger,
        "child_involved": row.child_involved,
        "received_at": _utc(row.received_at).isoformat(),
        "updated_at": _utc(row.updated_at).isoformat(),
        "version": row.version,
    }


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _encode_cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(
        f"{_utc(row.received_at).isoformat()}|{row.incident_id}".encode()
    ).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        received_at, incident_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(received_at), incident_id
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCommand(
            "the cursor is not one this API returned", code="invalid-cursor"
        ) from error
