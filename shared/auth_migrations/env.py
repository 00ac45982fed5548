from shared.auth import auth_metadata
from shared.migrations import run_environment

run_environment([auth_metadata])
