"""Extension points of accounts, filled by the apps built on it in their ``AppConfig.ready()``
(accounts imports none of them: accounts <- forum <- moderation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.registry import Registry

#: ``provider(viewer=, member=) -> dict``: more context for a member's profile page (the forum
#: adds the member's recent posts that the viewer may read).
profile_context: Registry[Callable[..., dict[str, Any]]] = Registry()

#: Template names included on a member's profile page, below the details, with its context
#: (``member``, ``user`` and what profile_context added): the forum's Block button.
profile_templates: Registry[str] = Registry()


#: ``listener(user=)``: called inside the transaction of a change to what other members see of
#: a member wherever their name appears (display name, avatar, public profile fields): the
#: forum lists the member in its sync feed.
profile_changed: Registry[Callable[..., None]] = Registry()


def profile_change_notify(*, user) -> None:
    for listener in profile_changed:
        listener(user=user)


def profile_extras(*, viewer, member) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for provider in profile_context:
        extras.update(provider(viewer=viewer, member=member))
    return extras
