"""Staff pages of campaigns, one module per topic (``campaigns``: the list, the form, the
detail page and the lifecycle buttons)."""
