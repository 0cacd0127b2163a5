"""Staff pages of campaigns: the list, create and edit, the results, the lifecycle buttons.

Marketing and Admin change campaigns; Analyst and Support only look (the buttons are hidden
from them, and the views answer them 403). Every write goes through the services.
"""

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns import selectors
from campaigns.forms import ActivateForm, BaseVariantFormSet, CampaignForm, variant_formset
from campaigns.models import Campaign, SuppressedReason, TriggerType, Variant
from campaigns.services.campaigns import (
    campaign_activate,
    campaign_create,
    campaign_finish,
    campaign_pause,
    campaign_update,
)
from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.pagination import keyset_page

VIEW = "campaigns.view_campaign"
CHANGE = "campaigns.change_campaign"


@staff_required(VIEW)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns, newest first, 50 a page (keyset), of one status or all, with their
    trigger, audience and counts (counted for the page's campaigns only)."""
    status = request.GET.get("status", "")
    if status not in Campaign.Status.values:
        status = ""
    page = keyset_page(
        selectors.campaigns_listed(status),
        ("-created_at",),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {
        "rows": selectors.campaign_list(cast(list[Campaign], page.objects)),
        "page": page,
        "status": status,
        "statuses": Campaign.Status.choices,
        "query": f"status={status}" if status else "",
    }
    return render(request, "campaigns/campaign_list.html", context)


@staff_required(VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign's settings, variants, results per arm and latest messages."""
    campaign = get_object_or_404(
        Campaign.objects.select_related("segment", "tier", "created_by").prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("id"))
        ),
        pk=pk,
    )
    results = selectors.campaign_results(campaign_id=campaign.pk)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "results": results,
            "suppression_rows": [
                (label, [arm.messages.suppressed_by_reason[reason] for arm in results.variants])
                for reason, label in SuppressedReason.choices
            ],
            "recent": selectors.campaign_recent_messages(campaign),
            "activate_form": ActivateForm(
                initial={"include_current_members": str(campaign.include_current_members).lower()}
            ),
            "asks_who": campaign.status == Campaign.Status.DRAFT
            and campaign.trigger == TriggerType.SEGMENT_ENTERED,
        },
    )


@staff_required(VIEW, "campaigns.add_campaign")
def campaign_create_page(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@staff_required(VIEW, CHANGE)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    if campaign.status == Campaign.Status.FINISHED:
        messages.error(request, "A finished campaign cannot be changed.")
        return redirect("campaigns:detail", pk=campaign.pk)
    return _campaign_form(request, campaign)


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, instance=campaign or Campaign())
    variants = variant_formset(data, campaign)
    variant_errors: list[str] = []
    if data is not None and form.is_valid() and variants.is_valid():
        try:
            saved = _campaign_save(request, campaign, form, variants)
        except ValidationError as exc:
            variant_errors = _errors_onto(form, exc)
        else:
            messages.success(request, f"Saved the campaign {saved.name}.")
            return redirect("campaigns:detail", pk=saved.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {
            "form": form,
            "variants": variants,
            "variant_errors": variant_errors,
            "campaign": campaign,
        },
    )


def _campaign_save(
    request: HttpRequest,
    campaign: Campaign | None,
    form: CampaignForm,
    variants: BaseVariantFormSet,
) -> Campaign:
    if campaign is None:
        return campaign_create(
            fields=form.service_fields(),
            variants=variants.service_variants(live=False),
            created_by=staff_user(request),
        )
    return campaign_update(
        campaign_id=campaign.pk,
        fields=form.service_fields(),
        variants=variants.service_variants(live=form.is_live),
        actor=staff_user(request),
    )


def _errors_onto(form: CampaignForm, exc: ValidationError) -> list[str]:
    """Put the service's errors on the fields they name; those of the variants returned."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return []
    variant_errors: list[str] = []
    for name, errors in exc.error_dict.items():
        texts = [message for error in errors for message in error.messages]
        if name == "variants":
            variant_errors.extend(texts)
        elif name in form.fields and not form.fields[name].disabled:
            form.add_error(name, texts)
        else:
            form.add_error(None, [f"{name}: {text}" for text in texts])
    return variant_errors


@staff_required(VIEW, CHANGE)
@require_POST
def campaign_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Activate a draft (with the choice of who is enrolled) or resume a paused campaign."""
    campaign = get_object_or_404(Campaign, pk=pk)
    choice = ActivateForm(request.POST)
    include = choice.cleaned_data["include_current_members"] if choice.is_valid() else None

    def activate() -> Campaign:
        if (
            include is not None
            and campaign.status == Campaign.Status.DRAFT
            and include != campaign.include_current_members
        ):
            # Still a draft: the choice is one of its fields, written before activation.
            campaign_update(
                campaign_id=pk,
                fields={"include_current_members": include},
                actor=staff_user(request),
            )
        return campaign_activate(campaign_id=pk, actor=staff_user(request))

    resumed = campaign.status == Campaign.Status.PAUSED
    return _lifecycle(request, pk, activate, "Resumed" if resumed else "Activated")


@staff_required(VIEW, CHANGE)
@require_POST
def campaign_pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Campaign, pk=pk)
    return _lifecycle(
        request, pk, lambda: campaign_pause(campaign_id=pk, actor=staff_user(request)), "Paused"
    )


@staff_required(VIEW, CHANGE)
def campaign_finish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (finishing cannot be undone); POST finishes."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.method != "POST":
        return render(request, "campaigns/campaign_finish.html", {"campaign": campaign})
    return _lifecycle(
        request, pk, lambda: campaign_finish(campaign_id=pk, actor=staff_user(request)), "Finished"
    )


def _lifecycle(
    request: HttpRequest, pk: int, change: Callable[[], Campaign], done: str
) -> HttpResponse:
    try:
        campaign = change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{done} the campaign {campaign.name}.")
    return redirect("campaigns:detail", pk=pk)
