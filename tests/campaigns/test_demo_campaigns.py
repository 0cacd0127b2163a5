"""The demo's campaigns: four active segment campaigns, created once."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Campaign


@pytest.mark.django_db
def test_the_demo_campaigns_are_created_active_once():
    call_command("seed_demo_campaigns", stdout=StringIO())
    call_command("seed_demo_campaigns", stdout=StringIO())

    campaigns = Campaign.objects.order_by("-priority")
    assert [(c.name, c.segment and c.segment.code, c.status) for c in campaigns] == [
        ("Win-back: we miss you", "at_risk", "active"),
        ("VIP early access", "high_value", "active"),
        ("Welcome", "new", "active"),
        ("Cross-sell", "low_value", "active"),
    ]
    assert {c.variants.count() for c in campaigns} == {2}
    assert all(v.bucket_from is not None for c in campaigns for v in c.variants.all())
