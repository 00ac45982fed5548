"""Closed vocabularies of intake (domain.md 2.1 and 2.2).

Values are stored in events and read by other services: add members, never rename or remove one
(an upcaster would be needed). Members marked [I] in domain.md are design proposals.
"""

from __future__ import annotations

from enum import StrEnum


class Mineral(StrEnum):
    """RMI templates: CMRT covers 3TG, EMRT cobalt, mica, copper, graphite, lithium, nickel."""

    TIN = "tin"
    TANTALUM = "tantalum"
    TUNGSTEN = "tungsten"
    GOLD = "gold"
    COBALT = "cobalt"
    MICA = "mica"
    COPPER = "copper"
    LITHIUM = "lithium"
    NICKEL = "nickel"
    GRAPHITE = "graphite"
    OTHER = "other"


class AbuseType(StrEnum):
    """Forced labour and the worst forms of child labour (ILO C29, C138, C182 art. 3)."""

    HUMAN_TRAFFICKING = "human_trafficking"
    FORCED_LABOUR = "forced_labour"
    DEBT_BONDAGE = "debt_bondage"
    SEXUAL_EXPLOITATION = "sexual_exploitation"
    WFCL_SLAVERY_LIKE = "wfcl_slavery_like"
    WFCL_HAZARDOUS_WORK = "wfcl_hazardous_work"
    CHILD_LABOUR_BELOW_MINIMUM_AGE = "child_labour_below_minimum_age"
    OTHER = "other"


class IloIndicator(StrEnum):
    """The eleven ILO indicators of forced labour."""

    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability"
    DECEPTION = "deception"
    RESTRICTION_OF_MOVEMENT = "restriction_of_movement"
    ISOLATION = "isolation"
    PHYSICAL_SEXUAL_VIOLENCE = "physical_sexual_violence"
    INTIMIDATION_THREATS = "intimidation_threats"
    RETENTION_OF_IDENTITY_DOCUMENTS = "retention_of_identity_documents"
    WITHHOLDING_OF_WAGES = "withholding_of_wages"
    DEBT_BONDAGE = "debt_bondage"
    ABUSIVE_WORKING_LIVING_CONDITIONS = "abusive_working_living_conditions"
    EXCESSIVE_OVERTIME = "excessive_overtime"


class Channel(StrEnum):
    COMPANY_GRIEVANCE_MECHANISM = "company_grievance_mechanism"
    HOTLINE = "hotline"
    INDUSTRY_MECHANISM = "industry_mechanism"
    AUDIT_FINDING = "audit_finding"
    NGO_REPORT = "ngo_report"
    MEDIA = "media"
    GOVERNMENT = "government"
    DIRECT_FROM_WORKER = "direct_from_worker"
    WHISTLEBLOWER = "whistleblower"
    SUPPLIER_SELF_REPORT = "supplier_self_report"


class SiteType(StrEnum):
    ASM = "asm"
    LARGE_SCALE_MINE = "large_scale_mine"
    PROCESSOR = "processor"
    TRADER = "trader"
    SMELTER_REFINER = "smelter_refiner"
    UNKNOWN = "unknown"


class ReporterRelationship(StrEnum):
    VICTIM = "victim"
    CO_WORKER = "co_worker"
    FAMILY = "family"
    NGO = "ngo"
    AUDITOR = "auditor"
    JOURNALIST = "journalist"
    SUPPLIER = "supplier"
    COMMUNITY = "community"
    UNKNOWN = "unknown"


class Anonymity(StrEnum):
    """anonymous: no identity or contact at all; confidential: known to the case team only."""

    ANONYMOUS = "anonymous"
    CONFIDENTIAL = "confidential"
    IDENTIFIED = "identified"


class RetaliationRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Credibility(StrEnum):
    """Pre-verification triage of the allegation, not a finding."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EvidenceType(StrEnum):
    DOCUMENT = "document"
    INTERVIEW_RECORD = "interview_record"
    PHOTO = "photo"
    AUDIT_REPORT = "audit_report"
    CMRT_EMRT = "cmrt_emrt"
    TRANSACTION_RECORD = "transaction_record"
    MEDIA = "media"
    OFFICIAL_RECORD = "official_record"


class SourceReliability(StrEnum):
    """Admiralty grading: A completely reliable ... E unreliable, F reliability cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED_VICTIM = "restricted_victim"


class SupplyChainRole(StrEnum):
    MINE_SITE = "mine_site"
    PROCESSOR = "processor"
    TRADER_EXPORTER = "trader_exporter"
    SMELTER_REFINER = "smelter_refiner"
    COMPONENT_MAKER = "component_maker"
    TIER1_SUPPLIER = "tier1_supplier"
    OEM = "oem"


class RmiStatus(StrEnum):
    CONFORMANT = "conformant"
    ACTIVE = "active"
    NON_CONFORMANT = "non_conformant"
    NOT_PARTICIPATING = "not_participating"
    UNKNOWN = "unknown"


class LinkConfidence(StrEnum):
    """How sure we are that a supply-chain actor links the harm to the company.

    Members are strings, so ``<`` would compare alphabetically: use :meth:`is_at_least`.
    """

    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    NOT_LINKED = "not_linked"

    @property
    def rank(self) -> int:
        return _LINK_CONFIDENCE_RANK[self]

    def is_at_least(self, other: LinkConfidence) -> bool:
        return self.rank >= other.rank


_LINK_CONFIDENCE_RANK = {
    LinkConfidence.NOT_LINKED: 0,
    LinkConfidence.POSSIBLE: 1,
    LinkConfidence.PROBABLE: 2,
    LinkConfidence.CONFIRMED: 3,
}


class Finding(StrEnum):
    """Outcome of Step 1."""

    SUBSTANTIATED = "substantiated"
    PARTIALLY_SUBSTANTIATED = "partially_substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    INCONCLUSIVE = "inconclusive"
    NOT_LINKED = "not_linked"

    @property
    def is_substantiated(self) -> bool:
        return self in (Finding.SUBSTANTIATED, Finding.PARTIALLY_SUBSTANTIATED)


class Involvement(StrEnum):
    """UNGP 19(b): how the company is involved in the harm."""

    CAUSES = "causes"
    CONTRIBUTES = "contributes"
    DIRECTLY_LINKED = "directly_linked"
    NOT_LINKED = "not_linked"


class Leverage(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


class ScopeBand(StrEnum):
    """Severity scope (UNGP 14): how widespread the harm is, beside the head count."""

    INDIVIDUAL = "individual"
    GROUP = "group"
    COMMUNITY = "community"
    WIDESPREAD = "widespread"


class ResponseType(StrEnum):
    """A response can work at several of these levels at once."""

    IMMEDIATE_PROTECTION = "immediate_protection"
    INDIVIDUAL_REMEDY = "individual_remedy"
    COLLECTIVE_COMMUNITY = "collective_community"
    SYSTEMIC_SUPPLIER = "systemic_supplier"
    REFERRAL_TO_AUTHORITIES = "referral_to_authorities"


class ResponseLevel(StrEnum):
    COMPANY_LED = "company_led"
    JOINT_WITH_SUPPLIER = "joint_with_supplier"
    COLLABORATIVE_INDUSTRY = "collaborative_industry"
    SUPPORT_STATE_PROCESS = "support_state_process"


class SourcingDecision(StrEnum):
    """Recorded apart from the remediation decision: disengaging must not end the remedy."""

    CONTINUE_WITH_MITIGATION = "continue_with_mitigation"
    TEMPORARY_SUSPENSION = "temporary_suspension"
    DISENGAGE = "disengage"
    NOT_APPLICABLE = "not_applicable"


class ProtectionMeasure(StrEnum):
    """Immediate protection taken before or during verification (do no harm)."""

    REMOVAL_FROM_WORK = "removal_from_work"
    SAFE_RELOCATION = "safe_relocation"
    EMERGENCY_SHELTER = "emergency_shelter"
    EMERGENCY_MEDICAL_CARE = "emergency_medical_care"
    PSYCHOSOCIAL_SUPPORT = "psychosocial_support"
    REPORTER_RETALIATION_SAFEGUARD = "reporter_retaliation_safeguard"
    REFERRAL_TO_SERVICE_PROVIDER = "referral_to_service_provider"
    OTHER = "other"


class DangerReason(StrEnum):
    """Why someone is judged to be in immediate danger."""

    ONGOING_VIOLENCE = "ongoing_violence"
    CONFINEMENT = "confinement"
    CHILD_IN_HAZARDOUS_WORK = "child_in_hazardous_work"
    SEXUAL_EXPLOITATION = "sexual_exploitation"
    HEALTH_EMERGENCY = "health_emergency"
    RETALIATION_THREAT = "retaliation_threat"
    OTHER = "other"


class AuthorityKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    LABOUR_INSPECTORATE = "labour_inspectorate"
    CHILD_PROTECTION_SERVICES = "child_protection_services"
    PROSECUTOR = "prosecutor"
    VICTIM_SERVICES = "victim_services"
    OTHER = "other"


class ConsentOverride(StrEnum):
    """Why a referral to the authorities went ahead without the person's consent (domain.md 3.3)."""

    LEGAL_DUTY = "legal_duty"
    CHILD_PROTECTION = "child_protection"
    IMMINENT_THREAT_TO_LIFE = "imminent_threat_to_life"


class ReporterNotice(StrEnum):
    """How the reporter learnt of an unsubstantiated or not-linked finding."""

    INFORMED_VIA_SAFE_CHANNEL = "informed_via_safe_channel"
    NOT_CONTACTABLE = "not_contactable"


class HoldReason(StrEnum):
    STATE_INVESTIGATION_REQUEST = "state_investigation_request"
    SAFETY_OF_PERSONS = "safety_of_persons"
    AWAITING_INFORMATION = "awaiting_information"
    LEGAL_ADVICE = "legal_advice"
    OTHER = "other"
