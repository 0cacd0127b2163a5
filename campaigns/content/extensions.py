"""What other apps add to the emails of their kind of campaign.

INTERFACE (apps register in their ``AppConfig.ready``; campaigns never import them):

- :func:`context_provider_register` — extra template context for the campaigns of one kind
  (``feedback``: a survey's question and its 0–10 links), with the samples the template
  check renders with, so a variant may name the extra variables.
- :func:`link_untracked_register` — links under a path of ``SITE_URL`` that are sent as
  they are, not through the click-through: links that carry a secret (a survey token)
  must not be stored in the message's ``MessageLink`` rows.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaigns.models import Campaign


@dataclass(frozen=True)
class Recipient:
    """Who a message of a batch goes to."""

    message_id: int
    customer_id: int


# (campaign, recipients of one batch) → extra context by message id; a fixed number of
# queries whatever the batch size. A message missing from the answer gets no extra context.
Provide = Callable[["Campaign", Sequence[Recipient]], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class ContextProvider:
    provide: Provide
    sample: Mapping[str, Any]  # every value filled in
    empty_sample: Mapping[str, Any]  # everything optional empty


_providers: dict[str, list[ContextProvider]] = {}
_untracked_paths: list[str] = []


def context_provider_register(kind: str, provider: ContextProvider) -> None:
    """Add ``provider``'s context to every email of the campaigns of ``kind`` (once, even
    if registered again)."""
    registered = _providers.setdefault(kind, [])
    if provider not in registered:
        registered.append(provider)


def context_providers(kind: str) -> list[ContextProvider]:
    return list(_providers.get(kind, []))


def link_untracked_register(path: str) -> None:
    """Send links to ``SITE_URL`` + ``path`` (``/s/``) untracked."""
    if path not in _untracked_paths:
        _untracked_paths.append(path)


def untracked_paths() -> list[str]:
    return list(_untracked_paths)
