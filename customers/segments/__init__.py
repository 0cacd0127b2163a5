"""Segments: set-based reassignment after each CLV run, custom segment rules, the outbox.

``reassign`` does the work of ``customers.services.segments.segments_reassign``; ``classify``
holds the SQL of the default rules, ``custom`` evaluates staff-defined rules (registered
in ``rules``), ``statistics`` records per-run figures, ``outbox`` lets consumers claim
transitions exactly once, ``selectors`` serves the pages.
"""
