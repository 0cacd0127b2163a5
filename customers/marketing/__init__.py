"""Marketing spend and what it buys: spend per acquisition channel and month, entered on a
grid, imported from CSV or sent to the API, and the acquisition cost per channel (CAC,
CLV:CAC, payback) of a period.

The arithmetic is :mod:`customers.kpis`'s; the writes are ``customers.services.marketing``'s.
"""
