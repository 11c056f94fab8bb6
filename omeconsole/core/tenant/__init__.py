"""The tenant: its model, administration, creation, and users' connected accounts."""
