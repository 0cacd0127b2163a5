"""The sources of entrants: SQL selecting ``campaign_id, customer_id, trigger_ref,
triggered_at`` for :func:`campaigns.triggers.enrol.enrol`.

A campaign records entrants while active or paused (a pause stops sending, not the
record); ``trigger_ref`` names the event, so the same event never assigns twice.
"""

LIVE = "c.status IN ('active', 'paused')"

# Default segments: the transitions outbox, claimed by id range (the pending index).
SEGMENT_TRANSITIONS = f"""
    SELECT c.id AS campaign_id, t.customer_id AS customer_id,
           'transition:' || CAST(t.id AS TEXT) AS trigger_ref, t.created_at AS triggered_at
    FROM customers_segmenttransition t
    JOIN campaigns_campaign c ON c.segment_id = t.to_segment_id
    WHERE t.processed_at IS NULL AND t.id <= %(upto)s
      AND c.trigger = 'segment_entered' AND {LIVE} AND t.created_at >= c.activated_at
"""

# Loyalty upgrades: the tier history, read past a cursor.
TIER_UPGRADES = f"""
    SELECT c.id AS campaign_id, h.customer_id AS customer_id,
           'tier_change:' || CAST(h.id AS TEXT) AS trigger_ref, h.created_at AS triggered_at
    FROM customers_loyaltytierchange h
    JOIN campaigns_campaign c
        ON c.trigger = 'tier_upgrade' AND (c.tier_id IS NULL OR c.tier_id = h.to_tier_id)
    WHERE h.id > %(after)s AND h.id <= %(upto)s AND h.reason = 'upgrade'
      AND {LIVE} AND h.created_at >= c.activated_at
"""

# A downgrade warning flagged by the loyalty run, once per flag (its date names it).
DOWNGRADE_WARNINGS = """
    SELECT %(campaign)s AS campaign_id, s.customer_id AS customer_id,
           'downgrade:' || CAST(s.downgrade_flagged_on AS TEXT) AS trigger_ref,
           %(now)s AS triggered_at
    FROM customers_loyaltystatus s
    WHERE s.downgrade_on IS NOT NULL AND s.downgrade_flagged_on IS NOT NULL
      AND s.downgrade_flagged_on >= %(since)s
"""

# Everyone in a segment now: a broadcast's send, or an activation that includes them.
DEFAULT_MEMBERS = """
    SELECT %(campaign)s AS campaign_id, m.customer_id AS customer_id,
           %(ref)s AS trigger_ref, %(at)s AS triggered_at
    FROM customers_customersegment m
    WHERE m.segment_id = %(segment)s
"""
CUSTOM_MEMBERS = """
    SELECT %(campaign)s AS campaign_id, m.customer_id AS customer_id,
           %(ref)s AS trigger_ref, %(at)s AS triggered_at
    FROM customers_customsegmentmembership m
    WHERE m.segment_id = %(segment)s
"""

# Custom segments have no transitions: an entrant is a member the campaign has not seen.
CUSTOM_ENTRANTS = """
    SELECT %(campaign)s AS campaign_id, m.customer_id AS customer_id,
           'entered:' || CAST(m.run_id AS TEXT) AS trigger_ref, %(now)s AS triggered_at
    FROM customers_customsegmentmembership m
    WHERE m.segment_id = %(segment)s
      AND NOT EXISTS (
          SELECT 1 FROM campaigns_audiencemember a
          WHERE a.campaign_id = %(campaign)s AND a.customer_id = m.customer_id
      )
"""
AUDIENCE_ADD = """
    INSERT INTO campaigns_audiencemember (campaign_id, customer_id)
    SELECT %(campaign)s, m.customer_id
    FROM customers_customsegmentmembership m
    WHERE m.segment_id = %(segment)s
    ON CONFLICT DO NOTHING
"""
AUDIENCE_PRUNE = """
    DELETE FROM campaigns_audiencemember
    WHERE campaign_id = %(campaign)s AND customer_id NOT IN (
        SELECT m.customer_id FROM customers_customsegmentmembership m
        WHERE m.segment_id = %(segment)s
    )
"""
