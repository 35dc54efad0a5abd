from aftersales_shared.migrations import run_env

from inventory.adapters.tables import metadata

run_env(metadata)
