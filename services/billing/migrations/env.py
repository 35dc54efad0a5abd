from aftersales_shared.migrations import run_env

from billing.adapters.tables import metadata

run_env(metadata)
