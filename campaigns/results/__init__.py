"""Attribution and results per arm, for the whole campaign in a few set-based statements.

The rules (issue 13):

- **Exposure** is the assignment, variant or holdout, at its ``assigned_at``. Intention to
  treat: a customer whose message was suppressed, capped, failed or is still pending counts
  in the arm they were assigned, so suppression cannot flatter a variant.
- **Several assignments of one customer** (a recurring broadcast, re-entering a segment):
  each assignment is its own exposure row, as each is a decision to send. Its window ends at
  the customer's next assignment in the campaign if that comes first, so an order counts for
  one exposure at most (the latest before it) and overlapping windows never count it twice.
  The customer's arm is the same for every assignment (it is drawn from a hash of campaign
  and customer), so repeated rows of one customer are not independent; with few re-entries
  the variance this understates is small.
- **Conversion**: a completed order with ``assigned_at < placed_at <= assigned_at +
  attribution window`` (an order at the very end of the window counts, one at the
  assignment's own moment does not). **Revenue**: those orders' totals net of the refunds
  known when the results are computed; refunded and cancelled orders count nothing.
- **Opens and clicks** are people's: machine opens and clicks (mail-privacy proxies, link
  scanners; ``campaigns.tracking.machines``) are never counted on the messages.
- **Final** when every assigned customer's window has closed: ``now >= max(assigned_at) +
  window``. Before that the figures are provisional.

``exposures`` is the one statement over assignments and orders, ``messages`` the one over
the outbox, ``compare`` the statistics (``campaigns.statistics``), ``compute`` puts them
together; ``campaigns.services.results`` stores the outcome.
"""
