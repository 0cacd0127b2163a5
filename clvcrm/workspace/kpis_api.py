"""``GET /api/v1/kpis/?start=YYYY-MM&end=YYYY-MM``: the dashboard's figures as JSON.

The same read as the page (``clvcrm.workspace.dashboard.dashboard_figures``); the period's
months are checked as the page checks them, a bad one answered 400 naming the parameter.
Staff who may view customers read it, as they see the dashboard.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.permissions import ReadsCustomers
from clvcrm.workspace.dashboard import DashboardFigures, MonthPeriod, dashboard_figures
from clvcrm.workspace.dashboard_period import (
    MonthValueError,
    default_period,
    month_from_text,
    period_problem,
)
from customers.marketing.selectors import ChannelAcquisition
from customers.models import Customer

RATE_PLACES = 2


class KpiQuery(serializers.Serializer):
    """Whole months, both included; neither given: the last full month."""

    start = serializers.CharField(required=False, max_length=7, help_text="First month, YYYY-MM.")
    end = serializers.CharField(required=False, max_length=7, help_text="Last month, YYYY-MM.")

    def validate_start(self, value: str) -> date:
        return _month(value)

    def validate_end(self, value: str) -> date:
        return _month(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = {name for name in ("start", "end") if name in attrs}
        if len(given) == 1:
            missing = ({"start", "end"} - given).pop()
            raise ValidationError({missing: ["Give start and end together (or neither)."]})
        if given and (problem := period_problem(attrs["start"], attrs["end"])):
            raise ValidationError({"end": [problem]})
        return attrs

    def period(self) -> MonthPeriod:
        data = self.validated_data
        if "start" not in data:
            return default_period(timezone.localdate())
        return MonthPeriod.of_months(data["start"], data["end"])


def _month(value: str) -> date:
    try:
        return month_from_text(value)
    except MonthValueError as exc:
        raise ValidationError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)


class ChannelOutput(serializers.Serializer):
    channel = serializers.CharField(allow_null=True, help_text="null: customers without one.")
    spend = _money()
    customers = serializers.IntegerField(help_text="Acquired in the period.")
    cac = _money()
    average_value = _money()
    clv_to_cac = serializers.FloatField(allow_null=True)
    payback_months = serializers.FloatField(allow_null=True)


class ClvRunRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    as_of = serializers.DateField()
    horizon_months = serializers.IntegerField()


class NpsFiguresOutput(serializers.Serializer):
    nps = serializers.FloatField(allow_null=True, help_text="−100 to 100; null: no answer.")
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()


class KpiOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    computed_at = serializers.DateTimeField(allow_null=True, help_text="null: not yet.")
    as_of = serializers.DateField(allow_null=True, help_text="Orders up to this day.")
    window_months = serializers.IntegerField(allow_null=True)
    customers_at_start = serializers.IntegerField()
    customers_at_end = serializers.IntegerField()
    new_customers = serializers.IntegerField(help_text="Acquired in the period.")
    first_time_buyers = serializers.IntegerField(help_text="First completed order in it.")
    lost = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = _money()
    retention_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    churn_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    repeat_purchase_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    clv_run = ClvRunRefOutput(allow_null=True)
    scored_customers = serializers.IntegerField(allow_null=True)
    active_customers = serializers.IntegerField(allow_null=True, help_text="P(alive) ≥ 0.5.")
    average_historical_clv = _money()
    average_predicted_clv = _money()
    predicted_revenue = _money()
    channels = ChannelOutput(many=True)
    no_channel = ChannelOutput()
    all_channels = ChannelOutput()
    nps = NpsFiguresOutput()


@extend_schema(parameters=[KpiQuery], responses=KpiOutput)
class KpiApi(generics.GenericAPIView):
    """The dashboard's figures for a period of whole months (see the README's Dashboard)."""

    serializer_class = KpiOutput
    permission_classes = [ReadsCustomers]
    pagination_class = None
    queryset = Customer.objects.none()  # the model whose permission a write needs (405)

    def get(self, request: Request) -> Response:
        query = KpiQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(KpiOutput(kpis_as_json(dashboard_figures(query.period()))).data)


def kpis_as_json(figures: DashboardFigures) -> dict[str, Any]:
    """The figures as the API answers them (rates rounded to 2 places)."""
    a, summary, run, refresh = figures.activity, figures.summary, figures.run, figures.refresh
    costs = figures.costs
    return {
        "start": figures.period.start,
        "end": figures.period.end,
        "computed_at": refresh.computed_at if refresh else None,
        "as_of": refresh.as_of if refresh else None,
        "window_months": refresh.window_months if refresh else None,
        "customers_at_start": a.customers_at_start,
        "customers_at_end": a.customers_at_end,
        "new_customers": a.new_customers,
        "first_time_buyers": a.first_time_buyers,
        "lost": a.lost,
        "orders": a.orders,
        "revenue": a.revenue,
        "retention_rate": _rate(figures.retention_rate),
        "churn_rate": _rate(figures.churn_rate),
        "repeat_purchase_rate": _rate(figures.repeat_purchase_rate),
        "clv_run": {"id": run.pk, "as_of": run.as_of, "horizon_months": run.horizon_months}
        if run
        else None,
        "scored_customers": summary.scored_customers if summary else None,
        "active_customers": summary.active_customers if summary else None,
        "average_historical_clv": summary.average_historical_clv if summary else None,
        "average_predicted_clv": summary.average_predicted_clv if summary else None,
        "predicted_revenue": summary.total_predicted_clv if summary else None,
        "channels": [_channel(row) for row in costs.rows],
        "no_channel": _channel(costs.no_channel),
        "all_channels": _channel(costs.total),
        "nps": {
            "nps": _rate(figures.nps.nps),
            "responses": figures.nps.responses,
            "promoters": figures.nps.promoters,
            "passives": figures.nps.passives,
            "detractors": figures.nps.detractors,
        },
    }


def _channel(row: ChannelAcquisition) -> dict[str, Any]:
    return {
        "channel": row.channel.name if row.channel else None,
        "spend": row.spend,
        "customers": row.customers,
        "cac": row.cac,
        "average_value": row.average_value,
        "clv_to_cac": _rate(row.clv_to_cac),
        "payback_months": _rate(row.payback_months),
    }


def _rate(value: float | Decimal | None) -> float | None:
    return None if value is None else round(float(value), RATE_PLACES)
