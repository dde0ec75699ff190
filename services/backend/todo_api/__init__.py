"""The reference backend that dockwright builds, checks and runs: a todo API.

Kept free of imports so that ``python -m todo_api.healthcheck`` starts fast.
"""
