"""Every URL pattern of the project, read from the resolver, for the tests that walk them.

New pages are walked as soon as they are in a ``urls.py``: nothing here names a page.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_ROUTE_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
_REGEX_ARGUMENT = re.compile(r"\(\?P<(\w+)>([^)]*)\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its namespaced name, full route text, view and path arguments.

    ``arguments`` maps each path argument to its kind: a converter name (``int``, ``str``,
    ``path``, ``slug``) for routes, or the regular expression of a regex pattern's group.
    """

    name: str
    route: str
    callback: Any
    arguments: dict[str, str]

    def url(self, values: dict[str, str]) -> str:
        """The URL with each path argument replaced by its (already quoted) value."""
        text = _REGEX_ARGUMENT.sub(lambda m: values[m.group(1)], self.route)
        text = _ROUTE_ARGUMENT.sub(lambda m: values[m.group(2)], text)
        text = text.replace("^", "").replace("$", "").replace("\\", "")
        return "/" + text.replace("(?:", "").replace(")?", "").replace("?", "")


def url_routes() -> list[Route]:
    """Every pattern of the root URLconf (the admin's included), sorted by route."""
    return sorted(_walk(get_resolver()), key=lambda route: (route.route, route.name))


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, text, ns)
        elif isinstance(entry, URLPattern):
            yield Route(namespace + (entry.name or ""), text, entry.callback, _arguments(text))


def _arguments(text: str) -> dict[str, str]:
    arguments = {name: kind or "str" for kind, name in _ROUTE_ARGUMENT.findall(text)}
    arguments.update(dict(_REGEX_ARGUMENT.findall(text)))
    return arguments
