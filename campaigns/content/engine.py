"""The restricted template engine of campaign content.

Campaign subjects and bodies are Django templates written by staff and rendered with
customer data, so the engine knows only a documented set of tags and filters
(docs/campaign-templates.md), none of which reads files (``include``, ``extends``,
``ssi``), loads libraries (``load``), turns escaping off (``autoescape``, ``safe``) or
reaches the project (``url``, ``csrf_token``, ``debug``). The context holds plain data
only (:func:`plain_data_check`), read-only when rendered (:func:`context_freeze`), so a
template can neither call a model's methods nor change the data it is given.

HTML bodies are rendered with autoescaping on; subjects and text bodies with it off (they
are not HTML: escaping would show ``&amp;`` to the reader).
"""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar

from django.template import Context, Engine, Library, Template, defaultfilters, defaulttags

# Block tags a template may use, and the inner and closing tags that go with them.
ALLOWED_TAGS = (
    "comment",
    "cycle",
    "firstof",
    "for",
    "if",
    "resetcycle",
    "spaceless",
    "with",
)
INNER_TAGS = ("elif", "else", "empty", "endcomment", "endfor", "endif", "endspaceless", "endwith")
ALLOWED_FILTERS = (
    "add",
    "capfirst",
    "cut",
    "date",
    "default",
    "default_if_none",
    "escape",
    "first",
    "floatformat",
    "force_escape",
    "join",
    "last",
    "length",
    "linebreaks",
    "linebreaksbr",
    "lower",
    "pluralize",
    "slice",
    "striptags",
    "time",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "urlencode",
    "wordcount",
    "yesno",
)
# Left out on purpose: filters whose argument sets a width or format that can make the
# output huge (center, ljust, rjust, stringformat), or that raise on a bad argument at send
# time (divisibleby); ``safe`` and ``autoescape``, which would let customer data into the
# HTML unescaped; everything that reads files, loads libraries or reaches the project.
# A variant's body is an email, not a book: anything longer is a mistake (or an attack on
# the renderer), refused when the variant is saved.
MAX_TEMPLATE_CHARS = 100_000

# The one library the engine knows: the allowed tags and filters, taken from Django's own.
register = Library()
for _name in ALLOWED_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class CampaignEngine(Engine):
    """A Django template engine with no default builtins: only :data:`register`.

    ``Engine`` adds the builtins it is given to its ``default_builtins`` (the default tags
    and filters and the loader tags); here those defaults are empty. With no libraries,
    loaders or directories, nothing else can be loaded or included.
    """

    default_builtins: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__(
            # Line numbers in syntax errors, for the messages shown when a variant is saved.
            debug=True,
            loaders=[],
            libraries={},
            builtins=["campaigns.content.engine"],
            autoescape=True,
        )


ENGINE = CampaignEngine()

PLAIN_SCALARS = (str, int, float, Decimal, date, type(None))


def plain_data_check(value: Any, path: str = "context") -> None:
    """Raise TypeError unless ``value`` is plain data: str, int, bool, float, Decimal,
    date or datetime, None, and lists, tuples and str-keyed dicts of those.

    Models, querysets and callables would let a template call methods (Django calls a
    callable variable); plain data offers nothing to call.
    """
    if isinstance(value, PLAIN_SCALARS):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            plain_data_check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {type(key).__name__}")
            plain_data_check(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not plain data")


def context_freeze(value: Any) -> Any:
    """``value`` (plain data) with its dicts read-only and its lists tuples.

    Django calls a callable it finds by attribute: ``{{ shop.clear }}`` would empty a dict
    (shared by every message of a batch) and ``{{ recommended_products.pop }}`` shorten a
    list. Read-only mappings and tuples have no method that changes anything.
    """
    if isinstance(value, dict):
        return MappingProxyType({key: context_freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(context_freeze(item) for item in value)
    return value


@lru_cache(maxsize=256)
def template_compile(source: str) -> Template:
    """The compiled template of ``source`` (cached: a batch renders the same few sources).

    Raises ``TemplateSyntaxError`` for a tag or filter outside the allowed sets.
    """
    return ENGINE.from_string(source)


def template_render(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    """Render ``source`` with the plain-data ``context``; HTML is autoescaped, text is not.

    Returns a plain ``str``, not Django's "safe" string: whoever shows it in a page (the
    preview) must escape it, since a text body holds customer data unescaped.
    """
    return templates_render([(source, html)], context)[0]


def templates_render(sources: Sequence[tuple[str, bool]], context: Mapping[str, Any]) -> list[str]:
    """Each ``(source, html)`` rendered as :func:`template_render` does, with one
    ``context`` checked and frozen once for all of them (an email has three templates)."""
    plain_data_check(dict(context))
    frozen = {key: context_freeze(value) for key, value in context.items()}
    return [
        str.__str__(template_compile(source).render(Context(frozen, autoescape=html)))
        for source, html in sources
    ]
