"""Celery tasks of the customers app: ids in, one service call, nothing else."""

from celery import shared_task

from customers import services


@shared_task(acks_late=True)
def run_order_import(order_import_id: int) -> None:
    """Run an uploaded order import (safe to deliver twice: the service claims the row)."""
    services.order_import_run(order_import_id=order_import_id)
