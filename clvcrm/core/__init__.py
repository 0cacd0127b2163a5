"""Helpers shared by the apps: enqueueing after commit, permissions, pagination, roles."""
