"""The pipeline: what follows what, across the apps. The one place that knows the order.

::

    order import succeeded (not a dry run) ─► loyalty refresh, when the shop has tiers
                                           ─► campaign results, when a window is open
                                           ─► the dashboard's aggregates
    orders from the API or a webhook ─► the same, once a minute at most for all of them
                                       (the aggregates: once per KPI_REFRESH_AFTER_ORDERS_SECONDS)
    nightly (beat): campaign results (windows close with time, orders or not)
    loyalty refresh (also nightly) ─► campaign triggers (upgrades, downgrade warnings)
    CLV run succeeded ─► the dashboard's aggregates (with the run's summary)
                      ─► segment reassignment ─► product affinities (recommendations)
                                               campaign triggers ─► senders
                                               campaigns' effect on CLV, once each
                                               window has closed
                                               (NPS invitations to come)
    every minute (beat): the outbox sweeper ─► senders and campaign triggers, when work
                        waits (expired leases, tasks lost with the broker, due broadcasts)
    CLV run fanned out ─► one part task per customer range (a chord)
                        ─► clv_run_finish ─► as a CLV run that succeeded

The apps' services each do one step and return its outcome; they never queue the next
one. The tasks in :mod:`clvcrm.pipeline.tasks` (and the commands in ``management/``, for a
terminal) run a step's service and hand its outcome to the function here that says what
follows, which queues it once the step's transaction has committed. Campaigns and
feedback plug their steps in here, so ``customers`` never imports them, nor this package
(import-linter checks both). The nightly schedule (beat, in the database) starts
``tasks.clv_recalculate``; ``tasks.loyalty_refresh`` runs on its own schedule too. Sending
runs on the email queue (``campaigns.tasks``), so a long CLV run never holds emails back.
"""
