"""The campaign trigger step: events become assignments and pending messages, set-based.

Each source of entrants is one SQL ``SELECT`` of ``(campaign_id, customer_id, trigger_ref,
triggered_at)`` rows (``sources``); :func:`~campaigns.triggers.enrol.enrol` turns a source
into assignments (arm by bucket, holdout included) and, for the assigned a variant, pending
messages: two ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` statements in the
transaction that claims the source's events, so an event is acted on exactly once and a
step run twice writes nothing twice. ``step`` runs every source in batches.
"""
