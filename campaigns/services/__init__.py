"""Every write of the campaigns app, one module per topic."""
