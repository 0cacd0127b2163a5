"""The feedback app's Celery tasks: ids in, the service of the same name, nothing else."""

from celery import shared_task

from feedback.services import follow_ups


@shared_task(acks_late=True)
def promoter_follow_ups_enrol(response_ids: list[int]) -> int:
    """Enrol the promoters among ``response_ids`` in their survey's follow-up email (queued
    on commit after an answer); how many were enrolled.

    Safe to deliver twice: each response is enrolled once (``response:<id>`` is the
    outbox's unique trigger); a response that is no promoter's, or whose survey has no
    follow-up, enrols nobody.
    """
    return follow_ups.promoter_follow_ups_enrol(response_ids=response_ids)
