"""Registries: who dockwright is to them (access) and what it publishes there."""
