from aftersales_shared.migrations import run_env

from dispatch.adapters.tables import metadata

run_env(metadata)
