"""The CLV runs: every run, and the latest successful one."""

from typing import Any

from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.permissions import ReadsCustomers
from customers.api.shared import ByIdCursor
from customers.clv_runs.selectors import clv_run_as_json, clv_run_latest_succeeded
from customers.models import ClvRun


class ClvRunOutput(serializers.Serializer):
    """A CLV run as ``manage.py recalculate_clv --json`` prints it (one function makes both)."""

    id = serializers.IntegerField()
    as_of = serializers.DateField()
    customers = serializers.IntegerField()
    repeat_customers = serializers.IntegerField()
    model = serializers.CharField()
    time_unit = serializers.CharField()
    bgnbd = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="r, alpha, a, b."
    )
    gamma_gamma = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="p, q, gamma."
    )
    log_likelihood = serializers.FloatField(allow_null=True)
    gamma_gamma_log_likelihood = serializers.FloatField(allow_null=True)
    prediction_skipped = serializers.CharField()
    seconds = serializers.DictField(child=serializers.FloatField(), help_text="Seconds per stage.")

    def to_representation(self, instance: ClvRun) -> dict[str, Any]:
        return clv_run_as_json(instance)


class ClvRunListOutput(ClvRunOutput):
    """A run of the list: the ``--json`` object with its status and moments."""

    status = serializers.ChoiceField(choices=ClvRun.Status.choices)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()

    def to_representation(self, instance: ClvRun) -> dict[str, Any]:
        return {
            **clv_run_as_json(instance),
            "status": instance.status,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "finished_at": serializers.DateTimeField().to_representation(instance.finished_at)
            if instance.finished_at is not None
            else None,
            "error": instance.error,
        }


class ClvRunListApi(generics.ListAPIView):
    """CLV runs, whatever their outcome, newest first (as the model page needs: view customers)."""

    serializer_class = ClvRunListOutput
    pagination_class = ByIdCursor
    permission_classes = [ReadsCustomers]
    queryset = ClvRun.objects.all()


class ClvRunLatestApi(generics.GenericAPIView):
    """The latest successful run (the one the customers' scores come from); 404 before any."""

    serializer_class = ClvRunOutput
    permission_classes = [ReadsCustomers]
    pagination_class = None
    queryset = ClvRun.objects.all()  # the model whose permission a write needs (then: 405)

    def get(self, request: Request) -> Response:
        run = clv_run_latest_succeeded()
        if run is None:
            raise NotFound("No CLV run has succeeded yet.")
        return Response(self.get_serializer(run).data)
