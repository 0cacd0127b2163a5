"""The demo shop behind ``manage.py seed_demo``: believable customers and orders.

One job per module:

- ``names``: first and last names of several cultures, and which countries they live in.
- ``people``: a customer's identity (name, email, phone, country, birthday).
- ``catalogue``: products, categories and the category affinities that drive cross-selling.
- ``behaviour``: channels and the BG/NBD and Gamma-Gamma parameters of buying and spending.
- ``baskets``: order lines that add up to an order value drawn from the spend model.
- ``sampling``: fast weighted choice.
- ``shop``: the generation itself, pure functions returning the plain rows of ``rows``.
- ``store``: the only module that touches the database (bulk inserts, reset).
"""
