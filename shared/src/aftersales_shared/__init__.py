"""Plumbing shared by the after-sales services; no service's models or rules live here."""
