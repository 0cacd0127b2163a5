"""The customers app's services: every write, by tasks, commands, pages and the API.

Each service is a ``<noun>_<verb>`` function with keyword-only arguments that owns its
transaction (or its claim) and returns its outcome; the work itself is in the feature
packages (``customers/__init__.py`` says how the app is laid out). One module per feature,
imported by name where it is used (this package re-exports nothing):

- ``customers``: a customer's details written by a client (the API).
- ``order_imports``: orders imported from a file or records, uploads run and expired.
- ``clv_runs``: the CLV recalculation (in one process or fanned out) and the back-test.
- ``segments``: segment reassignment after a run, custom segments, the transition outbox.
- ``loyalty``: the loyalty run (tiers and points jobs), staff redemptions and adjustments.
- ``webhooks``: shops' signed deliveries received and processed once.
- ``marketing``: marketing spend saved (the entry grid, the API) and imported from CSV.

What follows a service's outcome across steps and apps (the loyalty refresh after an
import, the segments after a CLV run) is decided by the project's pipeline,
``clvcrm.pipeline``, never here.
"""
