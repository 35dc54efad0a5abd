"""Shared test setup: the reusable fixtures live in aftersales_shared.testing.fixtures."""
pytest_plugins = ["aftersales_shared.testing.fixtures"]
