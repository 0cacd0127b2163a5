"""Request checks that hold for every page, the API and the admin alike."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL_REFUSED = "The address contains a NUL character (%00), which no page here accepts."


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request whose path or query string holds a NUL character.

    PostgreSQL can neither store nor compare text holding NUL (psycopg refuses such a query
    parameter before sending it), and no page takes one: refused here, it cannot reach a
    query through any page, filter, search or path argument, the admin's included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):  # the API's error format (README "API")
                error = {"field": None, "code": "nul_character", "message": NUL_REFUSED}
                return JsonResponse({"errors": [error]}, status=400)
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
