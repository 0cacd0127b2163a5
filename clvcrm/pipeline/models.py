"""What the pipeline records: steps that many events ask for and that run once for them."""

from django.db import models


class StepRequest(models.Model):
    """A step asked for by events that come often (orders from the API or a shop's
    webhooks), run once for all the requests of a short while (``clvcrm.pipeline.steps``).

    ``requested_at`` is set by the first request after the step last started, which queues
    the step; requests until it starts change nothing. Starting clears it.
    """

    step = models.CharField(max_length=64, primary_key=True)
    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.step
