"""Response-quality checks: straight-lining, speeding, attention checks, contradictions.

Each check is a vectorised pass over the answers matrix; the checks are
combined into one ``flagged`` mask with human-readable reasons per
respondent, so a reviewer sees *why* a response looks careless.  A flag is
a prompt to look, not proof: nothing here changes a score.

Definitions (defaults in brackets):

- **Longest run**: the most identical consecutive raw likert answers in
  questionnaire order (scored, unscored and attention likert items alike;
  a missing answer breaks the run).  Flagged at ``long_run`` [10] or more.
- **Speed**: seconds per item = total seconds / items.  Flagged when below
  ``min_seconds_per_item`` [2.0 s], or when more than half of the pages
  (if page timings are given) are below it.
- **Attention checks**: an answered check whose answer differs from the
  expected one is failed (an unanswered check is not counted).  Flagged
  when more than ``max_attention_failures`` [0] fail.
- **Contradictions**: every pair of likert items of the same scale where
  one is reverse-keyed and the other is not.  A pair is contradictory when
  both raw answers are on the same side at the extreme: both "agree"
  (top two points, ≥ 4 of 5 or ≥ 6 of 7) or both "disagree" (≤ 2).
  Flagged when contradictory pairs are more than ``max_contradiction_share``
  [0.25] of the pairs with both answers given (and there is at least one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError
from scoring.key import ScoringKey
from scoring.matrix import check_matrix
from scoring.scales import json_lists

LONG_RUN = 10
MIN_SECONDS_PER_ITEM = 2.0
MAX_ATTENTION_FAILURES = 0
MAX_CONTRADICTION_SHARE = 0.25


def longest_run(values: np.ndarray) -> np.ndarray:
    """Length of the longest run of identical consecutive non-missing values, per row.

    Vectorised: mark where a run breaks (value differs from the previous one,
    or either is missing), carry the column of the last break forward with
    ``np.maximum.accumulate``, and the run length is the distance to it.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ScoringError("longest_run needs a 2-D matrix (respondents × items)")
    n, m = x.shape
    if m == 0:
        return np.zeros(n, dtype=np.intp)
    present = ~np.isnan(x)
    same = np.zeros((n, m), dtype=bool)
    same[:, 1:] = x[:, 1:] == x[:, :-1]  # NaN never equals anything
    col = np.arange(m)
    last_break = np.maximum.accumulate(np.where(same, -1, col), axis=1)
    run = np.where(present, col - last_break + 1, 0)
    return run.max(axis=1).astype(np.intp)


@dataclass(frozen=True, eq=False)
class QualityReport:
    """Per-respondent quality indicators (arrays of length n) and the combined flag."""

    longest_run: np.ndarray
    seconds_per_item: np.ndarray | None  # None when no timing was given
    fast_pages: np.ndarray | None  # pages below the speed threshold
    attention_failed: np.ndarray
    attention_answered: np.ndarray
    n_attention: int
    contradictions: np.ndarray
    pairs_answered: np.ndarray
    flagged: np.ndarray
    reasons: tuple[tuple[str, ...], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "longest_run": json_lists(self.longest_run),
            "seconds_per_item": json_lists(self.seconds_per_item),
            "fast_pages": json_lists(self.fast_pages),
            "attention_failed": json_lists(self.attention_failed),
            "attention_answered": json_lists(self.attention_answered),
            "n_attention": self.n_attention,
            "contradictions": json_lists(self.contradictions),
            "pairs_answered": json_lists(self.pairs_answered),
            "flagged": json_lists(self.flagged),
            "reasons": [list(r) for r in self.reasons],
        }


def _timing(
    n: int,
    seconds: ArrayLike | None,
    n_items: int | None,
    page_seconds: ArrayLike | None,
    items_per_page: ArrayLike | None,
    threshold: float,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if page_seconds is not None:
        ps = np.asarray(page_seconds, dtype=float)
        ipp = np.asarray(items_per_page, dtype=float) if items_per_page is not None else None
        if ps.ndim != 2 or ps.shape[0] != n:
            raise ScoringError(f"page_seconds must be ({n} × pages), got shape {ps.shape}")
        if ipp is None or ipp.shape != (ps.shape[1],) or not (ipp > 0).all():
            raise ScoringError("items_per_page must give a positive count for every page")
        if (ps < 0).any() or np.isnan(ps).any():
            raise ScoringError("page_seconds must be non-negative numbers")
        per_item = ps.sum(axis=1) / ipp.sum()
        fast = (ps / ipp < threshold).sum(axis=1).astype(np.intp)
        return per_item, fast
    if seconds is not None:
        s = np.asarray(seconds, dtype=float)
        if s.shape != (n,):
            raise ScoringError(f"seconds must have one value per respondent ({n}), got {s.shape}")
        if n_items is None or n_items <= 0:
            raise ScoringError("n_items must be a positive item count when seconds are given")
        if (s < 0).any() or np.isnan(s).any():
            raise ScoringError("seconds must be non-negative numbers")
        return s / n_items, None
    return None, None


def response_quality(
    key: ScoringKey,
    matrix: np.ndarray,
    *,
    seconds: ArrayLike | None = None,
    n_items: int | None = None,
    page_seconds: ArrayLike | None = None,
    items_per_page: ArrayLike | None = None,
    long_run: int = LONG_RUN,
    min_seconds_per_item: float = MIN_SECONDS_PER_ITEM,
    max_attention_failures: int = MAX_ATTENTION_FAILURES,
    max_contradiction_share: float = MAX_CONTRADICTION_SHARE,
) -> QualityReport:
    """Run every quality check on every respondent and combine them into one flag.

    Timing is optional: either ``page_seconds`` (n × pages) with
    ``items_per_page``, or total ``seconds`` (n,) with ``n_items``.
    """
    m = check_matrix(key, matrix)
    n = m.shape[0]
    run = longest_run(m[:, key.likert_cols])
    per_item, fast = _timing(
        n, seconds, n_items, page_seconds, items_per_page, min_seconds_per_item
    )

    att = m[:, key.attention_cols]
    att_answered = (~np.isnan(att)).sum(axis=1).astype(np.intp)
    with np.errstate(invalid="ignore"):
        att_failed = ((att != key.attention_expected) & ~np.isnan(att)).sum(axis=1)
    att_failed = att_failed.astype(np.intp)

    a = m[:, key.pair_a]
    b = m[:, key.pair_b]
    top_a = key.item_points[key.col_item[key.pair_a]] - 1
    top_b = key.item_points[key.col_item[key.pair_b]] - 1
    both = ~np.isnan(a) & ~np.isnan(b)
    contra = ((a >= top_a) & (b >= top_b)) | ((a <= 2) & (b <= 2))  # NaN compares False
    n_contra = contra.sum(axis=1).astype(np.intp)
    n_pairs = both.sum(axis=1).astype(np.intp)

    f_run = run >= long_run
    f_speed = np.zeros(n, dtype=bool)
    if per_item is not None:
        f_speed = per_item < min_seconds_per_item
        if fast is not None:
            f_speed |= fast > np.asarray(page_seconds).shape[1] / 2
    f_att = att_failed > max_attention_failures
    share = np.divide(n_contra, n_pairs, out=np.zeros(n), where=n_pairs > 0)
    f_contra = (n_pairs > 0) & (share > max_contradiction_share)
    flagged = f_run | f_speed | f_att | f_contra

    reasons: list[tuple[str, ...]] = [()] * n
    for r in np.flatnonzero(flagged):  # text only for the flagged few
        why: list[str] = []
        if f_run[r]:
            why.append(f"{run[r]} identical answers in a row (flag at {long_run})")
        if f_speed[r]:
            text = f"{per_item[r]:.1f} seconds per item (minimum {min_seconds_per_item:g})"
            if fast is not None:
                text += f"; {fast[r]} page(s) answered too fast"
            why.append(text)
        if f_att[r]:
            why.append(f"failed {att_failed[r]} of {len(key.attention_cols)} attention checks")
        if f_contra[r]:
            why.append(
                f"contradictory answers on {n_contra[r]} of {n_pairs[r]} reverse-keyed pairs"
            )
        reasons[r] = tuple(why)
    return QualityReport(
        longest_run=run,
        seconds_per_item=per_item,
        fast_pages=fast,
        attention_failed=att_failed,
        attention_answered=att_answered,
        n_attention=len(key.attention_cols),
        contradictions=n_contra,
        pairs_answered=n_pairs,
        flagged=flagged,
        reasons=tuple(reasons),
    )
