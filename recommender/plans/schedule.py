"""When each item of a plan is done: foundations first, in weekly blocks of the learner's time.

Order (docs/plans.md): within a sub-domain, an item for lower-level statements always comes
before one for higher-level statements; beyond that, items for the lowest-level statements
first, then baseline before specialist, then short before long; ties by resource id. An item
in the plan for statements of two sub-domains can be held back by one and not the other; where
two items would each have to come first (a cycle), the general order decides between them.

Weeks hold ``weekly_minutes`` each. An item that fits in a week but not in what is left of the
current one starts the next week; an item longer than a week starts in what is left and runs on
across as many weeks as it needs, never squeezed into one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    resource_id: int
    minutes: int
    is_baseline: bool
    # sub-domain -> the lowest level of the statements of it the item is in the plan for
    levels: Mapping[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return (min(self.levels.values(), default=0), not self.is_baseline, self.minutes,
                self.resource_id)

    def before(self, other: Item) -> bool:
        """Whether a shared sub-domain puts this item before ``other``."""
        return any(level < other.levels[group] for group, level in self.levels.items()
                   if group in other.levels)


@dataclass(frozen=True)
class Part:
    """Some minutes of one item in one week (week 0 is the plan's first)."""

    resource_id: int
    week: int
    minutes: int


def order(items: Sequence[Item]) -> list[Item]:
    """Foundations first (see the module docstring): the item with the smallest key among
    those no unplaced item must precede; if every one must wait (a cycle), the smallest."""
    left = sorted(items, key=lambda i: i.key)
    waits = {id(i): {id(o) for o in left if o is not i and o.before(i)} for i in left}
    placed: list[Item] = []
    while left:
        chosen = next((i for i in left if not waits[id(i)]), left[0])
        placed.append(chosen)
        left.remove(chosen)
        for i in left:
            waits[id(i)].discard(id(chosen))
    return placed


def schedule(items: Sequence[Item], weekly_minutes: int, first_week: int = 0) -> list[Part]:
    """The items, in the order given, laid into weeks from ``first_week``."""
    parts: list[Part] = []
    week, used = first_week, 0
    for item in items:
        if item.minutes <= weekly_minutes and used + item.minutes > weekly_minutes:
            week, used = week + 1, 0
        left = item.minutes
        while left > 0:
            take = min(left, weekly_minutes - used)
            parts.append(Part(item.resource_id, week, take))
            used, left = used + take, left - take
            if used == weekly_minutes:
                week, used = week + 1, 0
    return parts


def weeks_needed(parts: Sequence[Part], first_week: int = 0) -> int:
    """How many weeks from ``first_week`` the parts run to."""
    return max((p.week for p in parts), default=first_week - 1) - first_week + 1
