"""The OpenAPI schema (drf-spectacular): every operation documents the error format.

Each operation lists, besides its success, the 4xx answers any API call can give
(400, 401, 403, 404, 429; 405 is left to the ``Allow`` header), all with the one shared
``Errors`` component of :mod:`clvcrm.core.api_errors`.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_STATUSES = {
    "400": "Invalid input: each error names its field (a dotted path) or is null.",
    "401": "No credentials, or an invalid, revoked or malformed token.",
    "403": "The user's role does not allow this.",
    "404": "No such object.",
    "429": "Too many requests from this token or address; see Retry-After.",
}


class ApiError(serializers.Serializer):
    index = serializers.IntegerField(
        required=False, help_text="The item of a list sent as the body that the error is about."
    )
    field = serializers.CharField(
        allow_null=True, help_text="Dotted path of the input in error; null for the request."
    )
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, required, throttled.")
    message = serializers.CharField(help_text="For people.")


class Errors(serializers.Serializer):
    # DRF's metaclass takes declared fields off the class: ``.errors`` stays the property.
    errors = ApiError(many=True)  # type: ignore[assignment]  # a declared field, see above


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the error answers added to every operation.

    Added to the response bodies, not to ``get_response_serializers``: ``extend_schema``'s
    ``responses`` replaces that method, and the errors would be lost with it (drf-spectacular
    is pinned; ``_get_response_bodies`` is where both paths meet).
    """

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for status, description in ERROR_STATUSES.items():
            if status not in responses:
                error = OpenApiResponse(Errors, description=description)
                responses[status] = self._get_response_for_code(error, status, direction=direction)
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "clvcrm.core.api_tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `manage.py create_api_token USERNAME`.",
        }
