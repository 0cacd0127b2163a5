"""The loyalty programme: tier evaluation and the points ledger.

``tiers`` evaluates every customer's tier as of a date, ``points`` runs the batch jobs of
the ledger (earn, reverse, expire), ``ledger`` holds staff redemptions and adjustments,
and ``selectors`` reads what the customer page shows. All per-customer work is set-based
SQL, a fixed number of statements whatever the number of customers; the thin entry points
are in :mod:`customers.services.loyalty`.
"""
