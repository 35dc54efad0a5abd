pytest_plugins = ["aftersales_shared.testing.fixtures"]
