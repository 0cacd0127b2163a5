"""Create the demo shop's campaigns (win-back, VIP, welcome, cross-sell), active, and a
finished A/B test with a simulated effect and its results."""

from typing import Any

from django.core.management.base import BaseCommand

from campaigns.demo.campaigns import DEMO_CAMPAIGNS
from campaigns.demo.results import demo_experiment_seed
from campaigns.models import Campaign
from campaigns.services.campaigns import campaign_activate, campaign_create
from customers.models import Segment
from customers.segments.defaults import segments_ensure_defaults


class Command(BaseCommand):
    help = "Create and activate the demo campaigns; those that exist (by name) are left alone."

    def handle(self, *args: Any, **options: Any) -> None:
        segments_ensure_defaults()
        for spec in DEMO_CAMPAIGNS:
            if Campaign.objects.filter(name=spec["name"]).exists():
                continue
            fields = {k: v for k, v in spec.items() if k not in ("segment", "variants")}
            campaign = campaign_create(
                fields={
                    **fields,
                    "trigger": "segment_entered",
                    "segment": Segment.objects.get(code=spec["segment"]),
                },
                variants=spec["variants"],
            )
            campaign_activate(campaign_id=campaign.pk)
            self.stdout.write(f"Campaign {campaign.name!r} active.")
        experiment = demo_experiment_seed()
        if experiment is not None:
            self.stdout.write(
                f"Campaign {experiment.campaign.name!r} finished: {experiment.assigned:,} "
                f"assigned, {experiment.orders} orders in reply, results computed."
            )
