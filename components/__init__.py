"""Pulumi ComponentResources: one module per system, and the Platform that composes them."""
