"""Plan's use cases: victims and their sealed identities, consent, needs, the remediation plan
and its four-eyes approval. Every command is one transaction: events, vault writes and the plan
list move together."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select

from services.plan.domain import (
    IDENTITY_FIELDS,
    AssignGuardian,
    IncidentFacts,
    PersonIdentity,
    RegisterVictim,
    RemediationCase,
    plan_guards_unmet,
)
from services.plan.tables import plan_list
from shared.aggregate_handlers import AggregateHandlers, Write
from shared.commands import CommandResult
from shared.database import read_transaction
from shared.http import RequestContext
from shared.idempotency import IdempotencyRequest, StoredResponse
from shared.incident_directory import lookup
from shared.vault import new_ref

if TYPE_CHECKING:
    pass

Decision = Callable[[RemediationCase], None]
IDENTITY_FIELD = "identity"


class PlanHandlers(AggregateHandlers[RemediationCase]):
    aggregate_type = RemediationCase
    create_if_missing = True  # the case starts with its first beneficiary

    # --- what plan knows about the incident from intake ----------------------------------
    def facts(self, incident_id: uuid.UUID, tenant: str) -> IncidentFacts:
        with read_transaction(self.runtime.engine) as conn:
            known = lookup(conn, str(incident_id), tenant)
        return IncidentFacts(known.status, known.response_determined, known.child_involved)

    # --- commands ------------------------------------------------------------------------
    def register_victim(
        self,
        incident_id: uuid.UUID,
        cmd: RegisterVictim,
        context: RequestContext,
        idempotency: IdempotencyRequest | None,
    ) -> StoredResponse:
        facts = self.facts(incident_id, context.actor.tenant)
        victim_id = uuid.uuid4()
        identity_ref, seal = self._sealer(victim_id, cmd.identity, context)
        return self.execute(
            incident_id,
            lambda case: case.register_victim(
                cmd, context.command, victim_id=victim_id, identity_ref=identity_ref, incident=facts
            ),
            context,
            idempotency=idempotency,
            created=("victim_id", victim_id),
            also_write=seal,
        )

    def assign_guardian(
        self,
        incident_id: uuid.UUID,
        victim_id: uuid.UUID,
        cmd: AssignGuardian,
        context: RequestContext,
        idempotency: IdempotencyRequest | None,
    ) -> StoredResponse:
        guardian_id = uuid.uuid4()
        identity_ref, seal = self._sealer(guardian_id, cmd.identity, context)
        return self.execute(
            incident_id,
            lambda case: case.assign_guardian(
                victim_id, cmd, context.command, guardian_id=guardian_id, identity_ref=identity_ref
            ),
            context,
            idempotency=idempotency,
            created=("guardian_id", guardian_id),
            also_write=seal,
        )

    def _sealer(
        self, person_id: uuid.UUID, identity: PersonIdentity | None, context: RequestContext
    ) -> tuple[str | None, list[Write]]:
        """A vault reference for ``identity`` and the write that seals it under the person's key."""
        if identity is None:
            return None, []
        ref = new_ref()
        fields = {name: getattr(identity, name) for name in sorted(IDENTITY_FIELDS)}
        plaintext = json.dumps(
            {name: value.get_secret_value() if value else None for name, value in fields.items()}
        )

        def seal(conn: Connection, _: CommandResult) -> None:
            self.runtime.vault.seal(
                conn,
                tenant=context.actor.tenant,
                subject_id=str(person_id),
                field=IDENTITY_FIELD,
                value=plaintext,
                ref=ref,
            )

        return ref, [seal]

    # --- personal data -----------------------------------------------------------------
    def read_identity(
        self, incident_id: uuid.UUID, person_id: uuid.UUID, purpose: str, context: RequestContext
    ) -> dict[str, Any]:
        """Record the access (an event), then open the vault. Erased people read as erased."""
        self.execute(
            incident_id,
            lambda case: case.record_identity_access(
                person_id, sorted(IDENTITY_FIELDS), purpose, context.command
            ),
            context,
        )
        case = self.repository.load(str(incident_id), context.actor.tenant)
        ref = case.identity_ref_of(person_id)
        if ref is None:  # registered without an identity
            return {"person_id": str(person_id), "erased": False, "identity": None}
        with read_transaction(self.runtime.engine) as conn:
            opened = self.runtime.vault.open(conn, tenant=context.actor.tenant, ref=ref)
        if opened is None:
            return {"person_id": str(person_id), "erased": True, "identity": None}
        return {"person_id": str(person_id), "erased": False, "identity": json.loads(opened)}

    def erase_identity(
        self, incident_id: uuid.UUID, person_id: uuid.UUID, context: RequestContext
    ) -> StoredResponse:
        def shred(conn: Connection, _: CommandResult) -> None:
            self.runtime.vault.erase(conn, tenant=context.actor.tenant, subject_id=str(person_id))

        return self.execute(
            incident_id,
            lambda case: case.record_erasure(person_id, context.command),
            context,
            also_write=[shred],
        )

    def set_legal_hold(
        self,
        incident_id: uuid.UUID,
        person_id: uuid.UUID,
        decide: Decision,
        hold: bool,
        context: RequestContext,
    ) -> StoredResponse:
        def mark(conn: Connection, _: CommandResult) -> None:
            self.runtime.vault.set_legal_hold(
                conn, tenant=context.actor.tenant, subject_id=str(person_id), hold=hold
            )

        return self.execute(incident_id, decide, context, also_write=[mark])

    # --- queries -------------------------------------------------------------------------
    def case_view(self, incident_id: uuid.UUID, tenant: str) -> tuple[dict[str, Any], int]:
        case = self.repository.load(str(incident_id), tenant)
        view = case.state.model_dump(mode="json")
        view["incident_id"] = str(incident_id)
        view["version"] = case.version
        view["blocking_approval"] = plan_guards_unmet(case.state)
        return view, case.version

    def list_plans(self, tenant: str, status: str | None) -> list[dict[str, Any]]:
        query = select(plan_list).where(plan_list.c.tenant == tenant)
        if status:
            query = query.where(plan_list.c.status == status)
        with read_transaction(self.runtime.engine) as conn:
            rows = conn.execute(query.order_by(plan_list.c.updated_at.desc()))
            return [
                {
                    **row._asdict(),
                    "updated_at": row.updated_at.isoformat(),
                }
                for row in rows
            ]

    def accepted(self, result: CommandResult) -> dict[str, Any]:
        case: RemediationCase = result.aggregate  # type: ignore[assignment]
        return {
            **super().accepted(result),
            "status": _status(case),
            "plan_status": _plan_status(case),
            "revision": _revision(case),
        }

    def update_read_model(self, conn: Connection, result: CommandResult) -> None:
        _update_plan_list(conn, result)


def _update_plan_list(conn: Connection, result: CommandResult) -> None:
    if not result.envelopes:
        return
    case: RemediationCase = result.aggregate  # type: ignore[assignment]
    last = result.envelopes[-1]
    state = case.state
    conn.execute(delete(plan_list).where(plan_list.c.incident_id == result.stream_id))
    conn.execute(
        insert(plan_list).values(
            incident_id=result.stream_id,
            tenant=last.tenant,
            status=_status(case),
            plan_status=_plan_status(case),
            revision=_revision(case),
            victims=len(state.victims),
            children=sum(1 for victim in state.victims.values() if victim.is_child),
            actions=len(state.plan.actions) if state.plan is not None else 0,
            updated_at=last.time,
            version=result.version,
        )
    )


def _status(case: RemediationCase) -> str:
    return str(case.state.status) if case.state.status else "response_determined"


def _plan_status(case: RemediationCase) -> str | None:
    plan = case.state.plan
    return str(plan.status) if plan is not None else None


def _revision(case: RemediationCase) -> int:
    plan = case.state.plan
    return plan.revision if plan is not None else 0
