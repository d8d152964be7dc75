"""A token per engagement that changes whenever anything about its candidates does.

The recruiter's pool (scores, fit, ranks) and candidate listing are cached in
each worker under ``(engagement id, token)``: a cached copy is used only while
its token is still the engagement's current one, so one primary-key read
tells whether it is fresh. Every service that changes a candidate, a result,
an interview, the role profile or the interview weight calls
:func:`candidates_changed` (or :func:`candidate_changed` for one assignment) in
the same transaction as its change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import update

from assessor.extensions import db
from assessor.models import Assignment, Engagement
from assessor.models.engagement import new_candidates_revision

T = TypeVar("T")


def candidate_changed(assignment: Assignment) -> None:
    """A new token when ``assignment`` is a candidate (board members and readiness
    respondents are neither in the pool nor in the listing)."""
    if assignment.kind == "candidate":
        candidates_changed(assignment.engagement_id)


def candidates_changed(engagement_id: int) -> None:
    """Give the engagement a new token (the objects in the session see it too)."""
    db.session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id)
        .values(candidates_revision=new_candidates_revision())
    )


class RevisionCache:
    """A small per-process LRU whose keys start with (engagement id, candidates revision).

    An entry is never invalidated: once the revision moves on, no request asks
    for the old key again and it ages out. Plain data only (no ORM objects),
    since entries outlive the session that built them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        _CACHES.append(self)

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return cast(T, self._entries[key])
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHES: list[RevisionCache] = []


def clear_caches() -> None:
    """Forget every cached pool, listing and fragment (tests and benchmarks measure cold)."""
    for cache in _CACHES:
        cache.clear()
