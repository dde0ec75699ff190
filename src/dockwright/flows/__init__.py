"""Workflows under the tasks: what a command does, reported through callbacks or events."""
