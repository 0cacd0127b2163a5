"""End to end over a real SMTP server on loopback: a segment change made by the real
reassignment sends exactly one email to each eligible entrant, with the unsubscribe
headers, and none to the holdout, the unsubscribed, the unconsenting or the capped.

``test_sending_workers`` runs the same scene through real worker processes on Redis."""

import pytest

from clvcrm.pipeline import tasks as pipeline
from tests.campaigns.segment_change import (
    SITE,
    exactly_one_email_per_eligible_entrant,
    segment_change_made,
)


@pytest.mark.django_db
def test_a_segment_change_sends_exactly_one_email_per_eligible_entrant(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE
    scene = segment_change_made()
    smtp.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        pipeline.segments_reassign.delay(scene.run.pk)  # then the triggers, then the senders

    exactly_one_email_per_eligible_entrant(scene, smtp.received)
