"""clvcrm: an open CRM for customer lifetime value."""

from clvcrm.celery import app as celery_app

__all__ = ("celery_app",)
