"""A registry of hook implementations, filled by apps in their ``AppConfig.ready()``: how a lower
app calls into the apps built on it without importing them (forum.hooks, accounts.hooks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered set of registered items; registering the same item twice is a no-op (ready()
    may run more than once in tests)."""

    def __init__(self) -> None:
        self._items: list[T] = []

    def register(self, item: T) -> T:
        if item not in self._items:
            self._items.append(item)
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._items))
