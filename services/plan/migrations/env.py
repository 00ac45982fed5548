from services.plan.tables import metadata as plan_metadata
from shared.migrations import run_environment
from shared.tables import metadata as core_metadata

run_environment([core_metadata, plan_metadata])
