"""Staff pages of segments: the overview, a segment's members and export, the custom form."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.csv_export import csv_download
from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.pagination import keyset_page
from customers import charts
from customers.models import Segment, SegmentStatistic
from customers.segments import charts as segment_charts
from customers.segments import selectors
from customers.segments.forms import CustomSegmentForm, rule_formset
from customers.services.segments import custom_segment_save


@staff_required("customers.view_segment")
def segment_list(request: HttpRequest) -> HttpResponse:
    """Every segment's size and predicted CLV, their trend across runs, the latest flows."""
    latest = selectors.reassignment_latest()
    runs, stats = selectors.segment_trend()
    defaults = [s for s in stats if s.segment.is_default]
    currency = settings.SHOP_CURRENCY
    return render(
        request,
        "customers/segment_list.html",
        {
            "latest": latest,
            "rows": selectors.segments_overview(latest),
            "flows": selectors.segment_flows(latest),
            "size_chart": _trend(runs, defaults, "customers", "Customers"),
            "value_chart": _trend(
                runs, defaults, "total_predicted_clv", f"Total predicted CLV ({currency})"
            ),
        },
    )


def _trend(runs: list, stats: list[SegmentStatistic], metric: str, y_title: str) -> str:
    if not runs:
        return ""
    return charts.figure_html(
        segment_charts.segment_trend(runs, stats, metric=metric, y_title=y_title)
    )


@staff_required("customers.view_segment", "customers.view_customer")
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A segment's members, a page at a time in the chosen order."""
    segment = get_object_or_404(Segment, pk=pk)
    sort = request.GET.get("sort", "")
    if sort not in selectors.MEMBER_SORTS:
        sort = selectors.DEFAULT_MEMBER_SORT
    page = keyset_page(
        selectors.segment_members(segment),
        selectors.MEMBER_SORTS[sort],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    latest = selectors.reassignment_latest()
    statistic = None
    if latest is not None:
        statistic = SegmentStatistic.objects.filter(segment=segment, run_id=latest.run_id).first()
    return render(
        request,
        "customers/segment_detail.html",
        {
            "segment": segment,
            "row": selectors.SegmentRow(segment, statistic),
            "latest": latest,
            "page": page,
            "sort": sort,
        },
    )


@staff_required("customers.view_segment", "customers.export_customer")
def segment_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The segment's members as a streamed, spreadsheet-safe CSV."""
    segment = get_object_or_404(Segment, pk=pk)
    return csv_download(
        f"segment-{segment.code}.csv",
        selectors.MEMBER_EXPORT_COLUMNS,
        selectors.segment_member_export_rows(segment),
    )


@staff_required("customers.view_segment", "customers.add_segment")
def custom_segment_create(request: HttpRequest) -> HttpResponse:
    return _custom_segment_form(request, Segment(kind=Segment.Kind.CUSTOM))


@staff_required("customers.view_segment", "customers.change_segment")
def custom_segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    if segment.is_default:
        raise Http404("default segments are tuned by their thresholds in the admin")
    return _custom_segment_form(request, segment)


def _custom_segment_form(request: HttpRequest, segment: Segment) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = CustomSegmentForm(data, instance=segment)
    rules = rule_formset(data, segment.rules)
    if data is not None and form.is_valid() and rules.is_valid():
        segment = form.save(commit=False)
        segment.rules = rules.rules
        try:
            custom_segment_save(segment=segment, actor=staff_user(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if segment.is_broken:
                messages.error(
                    request,
                    f"Saved the segment {segment.name}, but its rules could not be evaluated: "
                    f"{segment.broken_reason}",
                )
            else:
                messages.success(request, f"Saved the segment {segment.name}.")
            return redirect("customers:segment_detail", pk=segment.pk)
    return render(
        request, "customers/segment_form.html", {"form": form, "rules": rules, "segment": segment}
    )
