from services.intake.tables import metadata as intake_metadata
from shared.migrations import run_environment
from shared.tables import metadata as core_metadata

run_environment([core_metadata, intake_metadata])
