"""Notes and follow-up tasks on the customer record: the reads and the staff forms.

The writes are ``customers.services.interactions``; the models ``customers.models.interactions``.
"""
