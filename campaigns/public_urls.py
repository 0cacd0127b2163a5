"""The addresses in sent emails (no login): the open pixel, click-through links and the
unsubscribe page with its one-click POST.

A token may be any text without a slash, even empty, so that every malformed link reaches
its view and gets that view's neutral answer (the pixel, or the 404 page).
"""

from django.urls import URLPattern, re_path

from campaigns.views import public as views

app_name = "campaign-links"

urlpatterns: list[URLPattern] = [
    re_path(r"^o/(?P<token>[^/]*)\.gif$", views.open_pixel, name="open"),
    re_path(r"^c/(?P<token>[^/]*)/$", views.click, name="click"),
    re_path(r"^u/(?P<token>[^/]*)/$", views.unsubscribe, name="unsubscribe"),
]
