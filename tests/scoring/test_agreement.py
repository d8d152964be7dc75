"""ICC(1) and ICC(2) for aggregating ratings to groups (Bliese, 2000)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest

from scoring.agreement import icc1_icc2
from scoring.errors import ScoringError


def _equal_groups(seed: int = 2, g: int = 12, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(g), k)
    values = rng.normal(size=g)[groups] * 0.8 + rng.normal(size=g * k)
    return values, groups


def test_equal_groups_match_pingouin_icc1_and_icc1k():
    values, groups = _equal_groups()
    k = 5
    df = pd.DataFrame({"group": groups, "member": np.tile(np.arange(k), 12), "y": values})
    with warnings.catch_warnings():  # pingouin's own pandas deprecation warnings
        warnings.simplefilter("ignore")
        ref = pingouin.intraclass_corr(df, targets="group", raters="member", ratings="y")
    ref = ref.set_index("Type")
    res = icc1_icc2(values, groups)
    assert res.k == pytest.approx(5.0)
    assert float(res.icc1) == pytest.approx(ref.loc["ICC(1,1)", "ICC"], abs=1e-12)
    assert float(res.icc2) == pytest.approx(ref.loc["ICC(1,k)", "ICC"], abs=1e-12)
    assert float(res.f) == pytest.approx(ref.loc["ICC(1,1)", "F"], abs=1e-10)
    assert float(res.p_value) == pytest.approx(ref.loc["ICC(1,1)", "pval"], rel=1e-8)


def test_unequal_groups_hand_computed():
    # groups a: 1, 2, 3 (mean 2); b: 4, 6 (mean 5); c: 5, 6, 7, 10 (mean 7); grand mean 44/9
    values = np.array([1, 2, 3, 4, 6, 5, 6, 7, 10], dtype=float)
    groups = np.array(list("aaabbcccc"))
    grand = 44 / 9
    ssb = 3 * (2 - grand) ** 2 + 2 * (5 - grand) ** 2 + 4 * (7 - grand) ** 2
    ssw = (1 + 0 + 1) + (1 + 1) + (4 + 1 + 0 + 9)
    msb, msw = ssb / 2, ssw / 6
    k0 = (9 - (9 + 4 + 16) / 9) / 2
    res = icc1_icc2(values, groups)
    assert float(res.msb) == pytest.approx(msb, abs=1e-12)
    assert float(res.msw) == pytest.approx(msw, abs=1e-12)
    assert res.k == pytest.approx(k0, abs=1e-12)
    assert float(res.icc1) == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw), abs=1e-12)
    assert float(res.icc2) == pytest.approx((msb - msw) / msb, abs=1e-12)
    mean_k = icc1_icc2(values, groups, k="mean")
    assert mean_k.k == pytest.approx(3.0)
    assert float(mean_k.icc1) == pytest.approx((msb - msw) / (msb + 2 * msw), abs=1e-12)


def test_columns_are_vectorised():
    v1, groups = _equal_groups(seed=3)
    v2, _ = _equal_groups(seed=4)
    both = icc1_icc2(np.column_stack([v1, v2]), groups)
    assert both.icc1[1] == pytest.approx(float(icc1_icc2(v2, groups).icc1), abs=1e-12)
    assert both.icc2[0] == pytest.approx(float(icc1_icc2(v1, groups).icc2), abs=1e-12)


def test_degenerate_input_raises():
    with pytest.raises(ScoringError):
        icc1_icc2([1.0, 2.0, 3.0], [0, 0, 0])  # one group
    with pytest.raises(ScoringError):
        icc1_icc2([1.0, 2.0, 3.0], [0, 1, 2])  # no replication
    with pytest.raises(ScoringError):
        icc1_icc2([1.0, 2.0, 2.0, 1.0], [0, 0, 1, 1])  # identical group means
    with pytest.raises(ScoringError):
        icc1_icc2([1.0, np.nan, 2.0, 1.0], [0, 0, 1, 1])
