from services.feed.tables import SCHEMA
from shared.migrations import run_environment

run_environment(SCHEMA)
