"""The answer page that survey invitations link to (public, no login).

A token may be any text without a slash, even empty, so that every malformed link reaches
the view and gets its neutral answer.
"""

from django.urls import URLPattern, re_path

from feedback.views import public as views

app_name = "survey-answers"

urlpatterns: list[URLPattern] = [
    re_path(r"^(?P<token>[^/]*)/$", views.answer, name="answer"),
]
