"""The dashboard's aggregates, computed set-based from the orders and customers.

- :mod:`customers.kpi_aggregates.events`: ONE statement over the completed orders (grouped
  into customer-months on the ``(customer, placed_at)`` covering index) and the customers,
  returning small event counts per month: activity, the active base's +1/−1 (a difference
  array), lapses, cohort cells, acquisitions.
- :mod:`customers.kpi_aggregates.tables`: those events turned into the month, lapse and
  cohort rows (cumulative sums over a few hundred months), written whole.
- :mod:`customers.kpi_aggregates.run_summary`: a CLV run's figures over its scores.

The service :func:`customers.services.kpis.kpi_aggregates_refresh` runs them in one
transaction; the pipeline calls it after CLV runs and after orders arrive.
"""
