"""The staff workspace: pages that compose the apps (the operations page; the dashboard)."""
