"""API v1 for campaigns (DRF: thin views, explicit input and output serializers).

``campaigns``: the list, creation, one campaign, the lifecycle actions and the results;
``campaigns/api_urls.py`` routes them under ``/api/v1/campaigns/``.
"""
