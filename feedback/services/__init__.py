"""Every write of the feedback app."""
