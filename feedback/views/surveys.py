"""Staff pages of surveys: the list, create and edit, and "invite now".

Marketing and Admin change surveys; Support and Analysts only look (the buttons are hidden
from them, and these views answer them 403). Every write goes through the services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.decorators import staff_required, staff_user
from feedback import selectors
from feedback.audience import SkipReason
from feedback.forms.surveys import InviteForm, SurveyForm
from feedback.models import Survey, SurveyTrigger
from feedback.services.follow_ups import follow_up_content
from feedback.services.invitations import survey_invite
from feedback.services.surveys import survey_create, survey_update

VIEW = "feedback.view_survey"
ADD = "feedback.add_survey"
CHANGE = "feedback.change_survey"


@staff_required(VIEW)
def survey_list(request: HttpRequest) -> HttpResponse:
    """Every survey with its trigger, active window, invitations, responses and NPS."""
    return render(request, "feedback/survey_list.html", {"rows": selectors.survey_rows()})


@staff_required(VIEW, ADD)
def survey_create_page(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_create(fields=form.service_fields(), created_by=staff_user(request))
        except ValidationError as exc:
            form.errors_add(exc)
        else:
            messages.success(request, f"Created the survey {survey.name}.")
            return redirect("feedback:detail", pk=survey.pk)
    return render(request, "feedback/survey_form.html", {"form": form, "survey": None})


@staff_required(VIEW, CHANGE)
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = SurveyForm(data, instance=survey, follow_up=follow_up_content(survey))
    if data is not None and form.is_valid():
        try:
            survey_update(
                survey_id=pk, fields=form.service_fields(), changed_by=staff_user(request)
            )
        except ValidationError as exc:
            form.errors_add(exc)
        else:
            messages.success(request, f"Saved the survey {form.cleaned_data['name']}.")
            return redirect("feedback:detail", pk=pk)
    return render(request, "feedback/survey_form.html", {"form": form, "survey": survey})


@staff_required(VIEW, CHANGE)
def survey_invite_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form; POST: invite a segment or a pasted list now, and show who was
    invited and who was skipped, by reason."""
    survey = get_object_or_404(Survey, pk=pk)
    form = InviteForm(request.POST if request.method == "POST" else None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        segment = form.cleaned_data["segment"]
        unknown = 0
        try:
            if segment is not None:
                result = survey_invite(
                    survey_id=pk, segment_code=segment.code, actor=staff_user(request)
                )
            else:
                ids, unknown = selectors.customers_listed(form.cleaned_data["customers"])
                result = survey_invite(survey_id=pk, customer_ids=ids, actor=staff_user(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            skipped = dict(result.skipped)
            if unknown:
                skipped[SkipReason.UNKNOWN_CUSTOMER] = (
                    skipped.get(SkipReason.UNKNOWN_CUSTOMER, 0) + unknown
                )
            outcome = {
                "invited": result.invited,
                "skipped": [
                    (label, skipped.get(reason, 0)) for reason, label in SkipReason.choices
                ],
                "skipped_total": sum(skipped.values()),
            }
    return render(
        request,
        "feedback/survey_invite.html",
        {
            "survey": survey,
            "form": form,
            "outcome": outcome,
            "manual": survey.trigger == SurveyTrigger.MANUAL,
        },
    )
