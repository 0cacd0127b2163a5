"""The customers app: customers, orders, their CLV, segments and loyalty.

How it is laid out (one rule for every feature; import-linter's layers contract keeps it):

- **Feature packages** hold the work of one feature each, whatever it needs: its SQL and
  Python, its selectors (reads), forms, admin and charts.
  ``order_import/`` (the CSV import), ``clv_runs/`` (the recorded CLV run: aggregate, fit,
  score, store, fan-out, back-test), ``segments/`` (reassignment, custom rules, the
  transition outbox) and ``loyalty/`` (tiers and the points ledger). ``clv/`` is not a
  feature but the mathematics: numpy and scipy only, Django-free.
- **Models** live in ``models/``, one module per feature (Django loads an app's models
  from one place); they are the bottom layer and import no feature.
- **Services** (``services/``, one module per feature) are the app's one write API: each
  ``<noun>_<verb>`` function owns its transaction or claim and returns its outcome.
  Feature packages never import them.
- **Entry points** sit on top: ``tasks.py`` (a task shares its service's name),
  ``management/``, ``views/``, ``api/`` (one module per resource), ``admin.py`` and the
  demo shop (``demo/``).
  Reads shared by pages, API and tasks are in ``selectors.py`` or a feature's own.

What follows a step across features and apps (the loyalty refresh after an import, the
segments after a CLV run) is not here: it is the project pipeline's, ``clvcrm.pipeline``.
"""
