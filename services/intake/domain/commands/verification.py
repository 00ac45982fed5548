"""Commands of Step 1: verify the allegation and its link to the supply chain."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from ..enums import (
    EvidenceType,
    Finding,
    LinkConfidence,
    ReporterNotice,
    RmiStatus,
    Sensitivity,
    SourceReliability,
    SupplyChainRole,
)
from .fields import (
    MAX_EVIDENCE_BYTES,
    Code,
    OrganisationName,
    Rationale,
    Sha256,
    SmelterCid,
    UniqueList,
    example,
)

# --- Step 1: verify the allegation ------------------------------------------------------------


class AssignVerifier(BaseModel):
    model_config = example(
        {
            "verifier_id": "ver-0007",
            "organisation": "Independent Assessors Ltd",
            "conflict_of_interest_declared_none": True,
        }
    )

    verifier_id: Code
    organisation: OrganisationName
    conflict_of_interest_declared_none: bool


class StartVerification(BaseModel):
    model_config = example({})


class AttachEvidence(BaseModel):
    """Metadata only: the file itself sits in the evidence store under its sha256."""

    model_config = example(
        {
            "type": "audit_report",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "source_reliability": "B",
            "sensitivity": "confidential",
            "media_type": "application/pdf",
            "size_bytes": 482133,
            "retention_class": "case_file",
            "legal_hold": False,
        }
    )

    type: EvidenceType
    sha256: Sha256
    source_reliability: SourceReliability
    sensitivity: Sensitivity
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    size_bytes: int = Field(ge=1, le=MAX_EVIDENCE_BYTES)
    retention_class: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    legal_hold: bool = False


class RecordSupplyChainLink(BaseModel):
    """One actor on the path mine -> trader -> smelter (CID) -> supplier -> product.

    Recording the same role and entity again replaces the earlier link (e.g. confidence raised).
    """

    model_config = example(
        {
            "role": "smelter_refiner",
            "entity_ref": "Example Cobalt Refinery Co.",
            "smelter_cid": "CID002050",
            "rmi_status": "active",
            "link_confidence": "probable",
            "evidence_refs": ["6a1f3c52-51f0-5b8e-9a3e-0c7d2f6b1e44"],
        }
    )

    role: SupplyChainRole
    entity_ref: OrganisationName
    smelter_cid: SmelterCid | None = None
    rmi_status: RmiStatus = RmiStatus.UNKNOWN
    link_confidence: LinkConfidence
    evidence_refs: UniqueList[UUID] = Field(default=[], max_length=50)


class RecordFinding(BaseModel):
    model_config = example(
        {
            "finding": "substantiated",
            "rationale": "Two independent interview records and the audit report agree on "
            "children working at the site; purchase records link the site to the refinery.",
            "respond_despite_possible_link": False,
        }
    )

    finding: Finding
    rationale: Rationale
    respond_despite_possible_link: bool = Field(
        default=False,
        description="Verify on a 'possible' supply-chain link, as an explicit decision.",
    )
    reporter_notice: ReporterNotice | None = Field(
        default=None, description="Required for unsubstantiated and not_linked findings."
    )
