"""What the API publishes, as the tests that check the schema and its docs page expect it."""

# Every path of the OpenAPI schema (the shop webhooks, plain signed views, are not in it).
API_PATHS = frozenset(
    {
        "/api/v1/customers/",
        "/api/v1/customers/{external_id}/",
        "/api/v1/customers/{external_id}/orders/",
        "/api/v1/customers/{external_id}/points/",
        "/api/v1/customers/{external_id}/export/",
        "/api/v1/customers/{external_id}/erase/",
        "/api/v1/segments/",
        "/api/v1/segments/{code}/customers/",
        "/api/v1/clv/runs/",
        "/api/v1/clv/runs/latest/",
        "/api/v1/orders/",
        "/api/v1/marketing-spend/",
        "/api/v1/kpis/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{id}/",
        "/api/v1/campaigns/{id}/activate/",
        "/api/v1/campaigns/{id}/pause/",
        "/api/v1/campaigns/{id}/finish/",
        "/api/v1/campaigns/{id}/results/",
        "/api/v1/surveys/",
        "/api/v1/surveys/{id}/",
        "/api/v1/surveys/{id}/invite/",
        "/api/v1/surveys/{id}/nps/",
    }
)
