"""Closed vocabularies of the plan service (domain.md 2.1 and 2.2, Step 3).

Values are stored in events and read by other services (monitoring, reporting): add members, never
rename or remove one (an upcaster would be needed). Members marked [I] in domain.md are design
proposals.
"""

from __future__ import annotations

from enum import StrEnum


class AgeBand(StrEnum):
    """Age bands of ILO C138/C182 (light work 13-14, minimum age 15, hazardous work 18).

    ``unknown_presumed_child``: UNICEF's presumption of age, a person whose age is uncertain is
    treated as a child until an adult age is verified.
    """

    UNDER_13 = "under_13"
    AGE_13_14 = "13_14"
    AGE_15_17 = "15_17"
    ADULT = "18_plus"
    UNKNOWN_PRESUMED_CHILD = "unknown_presumed_child"


class AgeVerificationMethod(StrEnum):
    BIRTH_CERTIFICATE = "birth_certificate"
    IDENTITY_DOCUMENT = "identity_document"
    SCHOOL_RECORD = "school_record"
    MEDICAL_ASSESSMENT = "medical_assessment"
    MULTIDISCIPLINARY_ASSESSMENT = "multidisciplinary_assessment"


class PresumptionReason(StrEnum):
    """Why a person is treated as a child although no child age band was established."""

    AGE_UNKNOWN = "age_unknown"
    ADULT_AGE_UNVERIFIED = "adult_age_unverified"


class Gender(StrEnum):
    """Optional; recorded only when it shapes the services (Palermo art. 6.4)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class ContactStatus(StrEnum):
    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


class GuardianRelationship(StrEnum):
    PARENT = "parent"
    RELATIVE = "relative"
    LEGAL_GUARDIAN = "legal_guardian"
    APPOINTED_GUARDIAN = "appointed_guardian"
    CHILD_PROTECTION_OFFICER = "child_protection_officer"


class ConsentGiver(StrEnum):
    VICTIM = "victim"
    GUARDIAN = "guardian"


class ConsentMethod(StrEnum):
    WRITTEN = "written"
    ORAL_WITNESSED = "oral_witnessed"


class ConsentPurpose(StrEnum):
    """What a consent allows (IOM data protection: a specified purpose). Each action names the
    purpose it needs, and the consent must cover it."""

    SERVICE_PROVISION = "service_provision"
    DATA_SHARING_WITH_PROVIDER = "data_sharing_with_provider"
    REFERRAL_TO_AUTHORITIES = "referral_to_authorities"
    MONITORING_FOLLOW_UP = "monitoring_follow_up"
    CASE_MANAGEMENT = "case_management"


class WithdrawalReason(StrEnum):
    VICTIM_REQUEST = "victim_request"
    GUARDIAN_REQUEST = "guardian_request"
    BEST_INTERESTS_OF_CHILD = "best_interests_of_child"
    OTHER = "other"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ActionCategory(StrEnum):
    """domain.md 2.2 ``action.category``, exactly: forms of remedy (UN Basic Principles, OHCHR),
    Palermo art. 6.3 assistance and Comply Chain's child-labour and forced-labour remediation."""

    IMMEDIATE_SAFETY = "immediate_safety"
    SHELTER = "shelter"
    MEDICAL = "medical"
    PSYCHOSOCIAL = "psychosocial"
    INFORMATION_ON_RIGHTS = "information_on_rights"
    LEGAL_AID = "legal_aid"
    DOCUMENTS_RETURN = "documents_return"
    SAFE_RETURN_REPATRIATION = "safe_return_repatriation"
    FAMILY_TRACING_REUNIFICATION = "family_tracing_reunification"
    EDUCATION_SCHOOLING = "education_schooling"
    VOCATIONAL_TRAINING = "vocational_training"
    LIVELIHOOD_INCOME_SUPPORT = "livelihood_income_support"
    FAMILY_STIPEND = "family_stipend"
    COMPENSATION_BACK_WAGES = "compensation_back_wages"
    RECRUITMENT_FEE_REIMBURSEMENT = "recruitment_fee_reimbursement"
    DEBT_CANCELLATION = "debt_cancellation"
    APOLOGY = "apology"
    SUPPLIER_CORRECTIVE_ACTION = "supplier_corrective_action"
    SANCTION = "sanction"
    REFERRAL_TO_AUTHORITIES = "referral_to_authorities"
    COMMUNITY_PROGRAMME = "community_programme"


INCOME_OR_SCHOOLING = frozenset(
    {
        ActionCategory.EDUCATION_SCHOOLING,
        ActionCategory.LIVELIHOOD_INCOME_SUPPORT,
        ActionCategory.FAMILY_STIPEND,
    }
)
"""Categories that offset a child's removal from work (Comply Chain: schooling, or the family's
lost income replaced)."""


class FunderKind(StrEnum):
    CAUSING_PARTY = "causing_party"
    SUPPLIER = "supplier"
    SMELTER = "smelter"
    OEM = "oem"
    INDUSTRY_FUND = "industry_fund"
    DONOR = "donor"


class ConsultationMethod(StrEnum):
    INDIVIDUAL_INTERVIEW = "individual_interview"
    GROUP_DISCUSSION = "group_discussion"
    THROUGH_PROVIDER = "through_provider"
    WITH_GUARDIAN = "with_guardian"


class PlanStatus(StrEnum):
    """Status of the current plan revision (not the incident's status).

    ``rejected`` is back with its authors: it may be edited and resubmitted like a draft, or
    replaced by a new revision. ``suspended`` and ``withdrawn`` belong to Step 4 (monitoring).
    """

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"

    @property
    def is_editable(self) -> bool:
        return self in (PlanStatus.DRAFT, PlanStatus.REJECTED)


class BlockReason(StrEnum):
    CONSENT_WITHDRAWN = "consent_withdrawn"


class LegalHoldReason(StrEnum):
    CRIMINAL_PROCEEDINGS = "criminal_proceedings"
    CIVIL_CLAIM = "civil_claim"
    REGULATORY_INVESTIGATION = "regulatory_investigation"
    INTERNAL_INVESTIGATION = "internal_investigation"
    OTHER = "other"


class LegalHoldReleaseReason(StrEnum):
    PROCEEDINGS_CONCLUDED = "proceedings_concluded"
    HOLD_LIFTED_BY_COUNSEL = "hold_lifted_by_counsel"
    OTHER = "other"
