"""What a worker keeps of the work its answers did, bounded: the values of the keys used lately.

An index keeps a term's BM25 weights, a passage's window and a sentence's traits once an answer has worked them out,
since the next questions ask for many of the same. Kept for good, they grow with every new question: on a large
corpus, towards every term's postings and every passage and sentence, in every worker. `Recent` keeps them in two
generations, each up to a budget (a count, or bytes by `weigh`): a key used again is found in either (and moved to
the young one); when the young one reaches its budget it becomes the old one, and the old one is dropped. So at most
about twice the budget is kept, and what questions keep asking for stays.

Every step is a single dict operation or an assignment, safe under the GIL between a worker's threads without a
lock: a race can only lose an entry (worked out again when next asked for) or miscount a generation's weight a
little, never return a wrong value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def one(_value: object) -> int:
    return 1


class Recent(Generic[K, V]):
    """The values of the keys used lately: at most about 2 × `budget` of their weight (`weigh`, 1 each by default)."""

    def __init__(self, budget: int, weigh: Callable[[V], int] = one):
        self.budget = budget
        self.weigh = weigh
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}
        self._young_weight = 0

    def get(self, key: K) -> V | None:
        found = self._young.get(key)
        if found is None:
            found = self._old.get(key)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: K, value: V) -> V:
        """Keep `value` for `key` (in the young generation), and give it back."""
        weight = self.weigh(value)
        if self._young and self._young_weight + weight > self.budget:
            self._old, self._young, self._young_weight = self._young, {}, 0
        self._young[key] = value
        self._young_weight += weight
        return value

    def __len__(self) -> int:
        return len(self._young) + len(self._old.keys() - self._young.keys())

    @property
    def weight(self) -> int:
        """The weight kept: the young generation's as counted, and the old one's keys not used again since (a key used
        again is in both, the same value)."""
        young = self._young
        return self._young_weight + sum(self.weigh(value) for key, value in self._old.items() if key not in young)
