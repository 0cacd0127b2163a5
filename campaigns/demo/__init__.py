"""The demo shop's campaigns: one per default segment a shop acts on, active from the start."""
