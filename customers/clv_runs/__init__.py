"""The CLV pipeline: the only adapter between the database and ``customers.clv``.

``aggregate`` reads one purchase summary per customer with a single SQL query,
``compute`` fits the models and scores every customer with numpy, ``store`` writes the
scores in bulk; ``customers.services.clv_runs.clv_recalculate`` runs them as a recorded ClvRun.
"""
