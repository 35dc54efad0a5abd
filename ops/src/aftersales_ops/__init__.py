"""``aftersales``: one command line for the operations team (see ``aftersales --help``)."""
