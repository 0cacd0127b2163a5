"""API views of the project core: the documentation page, the answer to an unknown address."""

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clvcrm.core.permissions import IsStaff


@extend_schema(exclude=True)
class ApiNotFound(APIView):
    """Any address under ``/api/`` that no endpoint serves: a 404 in the API's error format.

    Only after the login check, as every endpoint, so that a client without credentials
    learns nothing of which addresses exist (a 401 everywhere).
    """

    permission_classes = [IsStaff]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        path = request.path
        message = f"No API endpoint at {path}; the endpoints are listed at /api/docs/."
        if not path.endswith("/") and _is_endpoint(path + "/"):
            message = f"No API endpoint at {path}; did you mean {path}/ ?"
        raise NotFound(message)

    post = put = patch = delete = get


def _is_endpoint(path: str) -> bool:
    try:
        return resolve(path).url_name != "api-not-found"
    except Resolver404:
        return False


class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI; a visitor who is not logged in is sent to the login page, as on every page.

    The page's files are ours (drf-spectacular-sidecar) and its start-up script is this
    same address with ``?script`` (templates/drf_spectacular/swagger_ui.html), so it runs
    under the Content-Security-Policy.
    """

    def handle_exception(  # type: ignore[override]  # DRF's dispatch takes any HttpResponseBase
        self, exc: Exception
    ) -> HttpResponseBase:
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
