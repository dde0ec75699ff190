"""Invoke entry point: dockwright's tasks for this repository."""

from dockwright.tasks import ns

__all__ = ["ns"]
