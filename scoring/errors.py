"""The one exception type of the scoring package."""

from __future__ import annotations


class ScoringError(ValueError):
    """Input the scoring functions cannot turn into a meaningful number.

    Raised for degenerate or invalid input (a matrix of the wrong shape, an
    unknown option key, an out-of-range value, ...) so that callers get a
    clear message naming the problem instead of a silent NaN.  It subclasses
    ValueError so generic validation handlers still catch it.
    """
