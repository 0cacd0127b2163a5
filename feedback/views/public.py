"""The public answer page of survey invitations (no login).

``GET /s/<token>/`` shows the form (``?score=7``, from the email's scale, chooses a score,
nothing more: mail scanners follow every link, so only a POST answers); ``POST`` stores the
answer once (``feedback.services.responses``) and shows the thank-you page. A token that
is unknown, tampered with or expired gets the same neutral 404 page, in the same language
(never the invitation's customer's), so the answer teaches a forger nothing.
Submissions are limited per client address (before the token is even looked up) and per
invitation; CSRF is checked as on every form.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clvcrm.core.login_throttle import client_ip
from clvcrm.core.public_pages import page_language, public_page
from feedback import rate_limits
from feedback.forms import AnswerForm, score_from_link
from feedback.models import Invitation, Response
from feedback.selectors import change_possible_until, invitation_by_token, response_of
from feedback.services.responses import Outcome, response_submit

PAGES = "feedback/public/"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The form (GET), the answer (POST); see the module docstring."""
    posted = request.method == "POST"
    ip_limit = settings.FEEDBACK_ANSWERS_PER_IP_PER_MINUTE
    if posted and not rate_limits.allow("ip", client_ip(request) or "-", limit=ip_limit):
        return _too_many(request)
    invitation = invitation_by_token(token)
    if invitation is None:
        return _not_found(request)
    token_limit = settings.FEEDBACK_ANSWERS_PER_TOKEN_PER_MINUTE
    if posted and not rate_limits.allow("token", invitation.token_hash, limit=token_limit):
        return _too_many(request)
    language = page_language(request, invitation.customer.language)
    with translation.override(language):
        if posted:
            # The answer service says whether the invitation was answered already: no
            # query for the earlier response before it (the common case has none).
            return _answer_post(request, invitation, language)
        response = response_of(invitation)
        if response is not None and change_possible_until(response) is None:
            return _already_answered(request, language, response)
        form = AnswerForm(initial=_initial(request, response))
        return _form_page(request, invitation, language, form, response)


def _answer_post(request: HttpRequest, invitation: Invitation, language: str) -> HttpResponse:
    form = AnswerForm(request.POST)
    if not form.is_valid():
        response = response_of(invitation)
        if response is not None and change_possible_until(response) is None:
            return _already_answered(request, language, response)
        return _form_page(request, invitation, language, form, response)
    submitted = response_submit(
        invitation=invitation,
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
        language=language,
    )
    if submitted.outcome == Outcome.ALREADY_ANSWERED:
        return _already_answered(request, language, submitted.response)
    context = {
        "response": submitted.response,
        "changed": submitted.outcome == Outcome.CHANGED,
        "change_until": change_possible_until(submitted.response),
        "change_minutes": settings.FEEDBACK_CHANGE_MINUTES,
    }
    return public_page(request, PAGES + "thanks.html", language, context)


def _already_answered(request: HttpRequest, language: str, response: Response) -> HttpResponse:
    return public_page(request, PAGES + "already_answered.html", language, {"response": response})


def _initial(request: HttpRequest, response: Response | None) -> dict[str, Any]:
    chosen = score_from_link(request.GET.get("score"))
    if response is None:
        return {"score": chosen}
    return {"score": response.score if chosen is None else chosen, "comment": response.comment}


def _form_page(
    request: HttpRequest,
    invitation: Invitation,
    language: str,
    form: AnswerForm,
    response: Response | None,
) -> HttpResponse:
    survey = invitation.survey
    chosen = form["score"].value()
    context = {
        "form": form,
        "question": survey.question_in(language),
        "open_question": survey.open_question_in(language),
        "scores": [(score, str(score) == str(chosen)) for score in range(11)],
        "response": response,
        "change_until": change_possible_until(response) if response else None,
        "languages": settings.LANGUAGES,
        "score_query": f"&score={chosen}" if score_from_link(str(chosen)) is not None else "",
    }
    return public_page(request, PAGES + "answer.html", language, context)


def _not_found(request: HttpRequest) -> HttpResponse:
    """The one answer to an unknown, tampered or expired token: nothing about which."""
    return public_page(
        request, PAGES + "not_found.html", page_language(request, ""), {}, status=404
    )


def _too_many(request: HttpRequest) -> HttpResponse:
    response = public_page(
        request, PAGES + "too_many.html", page_language(request, ""), {}, status=429
    )
    response["Retry-After"] = str(rate_limits.WINDOW_SECONDS)
    return response
