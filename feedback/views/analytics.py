"""The NPS analytics pages: one survey's (with its settings), and every survey's
("Feedback", ``/surveys/nps/``). Read-only: every staff role that sees surveys sees them.

The filters come from the address bar (``feedback.forms.analytics``): a bad value is a
form error and that filter is ignored. The figures are the grouped queries of
``feedback.analytics``; the comments are paged by keyset, newest first.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from clvcrm.core.decorators import staff_required
from feedback import analytics
from feedback.charts import nps_trend_chart
from feedback.forms.analytics import AnalyticsFilterForm, cursor_text
from feedback.models import Survey
from feedback.nps import CLV_BAND_EDGES
from feedback.services.follow_ups import follow_up_content

VIEW = "feedback.view_survey"


@staff_required(VIEW)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey's settings, its follow-up email and its NPS analytics."""
    survey = get_object_or_404(
        Survey.objects.select_related("segment", "campaign", "follow_up_campaign", "created_by"),
        pk=pk,
    )
    context = _analytics_context(request, survey_id=survey.pk)
    context.update(survey=survey, follow_up=follow_up_content(survey))
    return render(request, "feedback/survey_detail.html", context)


@staff_required(VIEW)
def nps_overview(request: HttpRequest) -> HttpResponse:
    """Every survey's answers together."""
    return render(request, "feedback/nps_overview.html", _analytics_context(request, None))


def _analytics_context(request: HttpRequest, survey_id: int | None) -> dict[str, Any]:
    form = AnalyticsFilterForm(request.GET)
    period = form.period()
    figures = analytics.nps_analytics(survey_id=survey_id, period=period)
    page = analytics.comments_page(
        survey_id=survey_id, period=period, filters=form.comment_filters()
    )
    query = request.GET.copy()
    query.pop("before", None)
    older = query.copy()
    if page.next_before is not None:
        older["before"] = cursor_text(page.next_before)
    return {
        "form": form,
        "figures": figures,
        "trend": nps_trend_chart(figures.by_month) if figures.overall.responses else None,
        "comments": page.comments,
        "first_page_query": query.urlencode(),
        "older_query": older.urlencode() if page.next_before is not None else "",
        "paged": bool(form.cleaned_data.get("before")),
        "band_edges": CLV_BAND_EDGES,
    }
