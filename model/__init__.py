"""Typed models of everything a user writes: the catalog (teams, services, policies) and the stack settings."""
