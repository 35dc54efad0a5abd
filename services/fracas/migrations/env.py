from aftersales_shared.migrations import run_env

from fracas.adapters.tables import metadata

run_env(metadata)
