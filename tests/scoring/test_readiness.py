"""Readiness: segment aggregates with suppression, r_wg, index, stage, gaps, rounds."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import ScoringError
from scoring.readiness import (
    DEFAULT_K,
    DIMENSIONS,
    MAX_K,
    MIN_K,
    STRONG_SPONSORSHIP,
    ReadinessResult,
    aggregate_readiness,
    compare_rounds,
    published_sets,
    rwg,
    sponsorship_rule,
    stage_name,
    stage_of,
)
from tests.scoring.reference_b import sample_var

SP = DIMENSIONS.index("sponsorship")


def rows(values):
    """Each respondent scores the same value on all eight dimensions."""
    return np.repeat(np.asarray(values, dtype=float)[:, None], 8, axis=1)


def test_hand_worked_two_levels():
    x = rows([80, 70, 60, 40, 30, 20])
    seg = {"level": ["executive"] * 3 + ["front_line"] * 3}
    r = aggregate_readiness(x, seg, k=3)
    ex = r.tables["level"].cell(level="executive")
    fl = r.tables["level"].cell(level="front_line")
    # executive: mean 70, SD sqrt((10² + 0 + 10²) / 2) = 10; front line: 30, 10
    assert ex.n == 3 and ex.mean["education"] == 70 and ex.sd["education"] == pytest.approx(10)
    assert fl.mean["sponsorship"] == 30 and fl.index == pytest.approx(30)
    # overall: mean 50; SD sqrt((30² + 20² + 10²) * 2 / 5) = sqrt(560)
    assert r.overall.n == 6 and r.overall.sd["education"] == pytest.approx(math.sqrt(560))
    assert r.index == pytest.approx(50)
    assert r.stage == r.uncapped_stage == 3 and r.stage_name == "Committed"
    # the weakest critical dimension (50) caps at stage_of(50) + 1 = 4: no effect
    assert r.capped_by is None
    # gaps: 70 - 30 = 40 >= 15 on every dimension and the index, executive vs front line
    assert len(r.gaps) == 9
    assert all(g.gap == pytest.approx(40) and g.top_vs_front for g in r.gaps)
    assert {g.dimension for g in r.gaps} == {*DIMENSIONS, "index"}
    assert r.gaps[0].upper == "executive" and r.gaps[0].lower == "front_line"
    assert r.ceo_interim is False
    assert json.loads(json.dumps(r.to_dict()))["stage"] == 3


def test_stage_cap_and_ceo_interim():
    x = rows([70] * 5)
    x[:, SP] = 10
    r = aggregate_readiness(x, {"level": ["executive"] * 5})
    # index = (7 * 70 + 10) / 8 = 62.5 -> stage 4; sponsorship 10 -> stage 1 -> cap 1 + 1 = 2
    assert r.index == pytest.approx(62.5)
    assert r.uncapped_stage == 4 and r.stage == 2 and r.capped_by == "sponsorship"
    assert r.stage_name == "Aware"
    assert r.weakest == "sponsorship" and r.strongest == "education"  # ties -> first
    # sponsorship 10 is far from strong: the CEO is not the interim answer, sponsorship first
    assert r.ceo_interim is False
    assert r.ceo_interim_reasons == ("executive sponsorship 10.0 is below 60: not strong",)
    # a low index no longer recommends the CEO: only sponsorship speaks in the survey
    low = aggregate_readiness(rows([30] * 5), {"level": ["board"] * 5})
    assert low.ceo_interim is False and len(low.ceo_interim_reasons) == 1


def test_the_sponsorship_threshold_is_pinned():
    assert STRONG_SPONSORSHIP == 60.0
    # the boundary counts as strong; just below does not
    assert sponsorship_rule(60.0).strong is True
    assert sponsorship_rule(59.99).strong is False
    assert sponsorship_rule(100.0).strong is True and sponsorship_rule(0.0).strong is False
    assert sponsorship_rule(None).strong is None
    assert sponsorship_rule(float("nan")).strong is None
    assert sponsorship_rule(72.5).reasons == ("executive sponsorship 72.5 is at least 60: strong",)
    assert sponsorship_rule(72.5).sponsorship == 72.5
    # a custom threshold is honoured
    assert sponsorship_rule(55.0, threshold=50.0).strong is True


def test_strong_sponsorship_with_a_low_index_supports_the_interim_ceo():
    """Hand-made scores: everything weak but sponsorship (80): the CEO could carry the title."""
    x = rows([20] * 5)
    x[:, SP] = 80
    r = aggregate_readiness(x, {"level": ["board"] * 5})
    assert r.index == pytest.approx((7 * 20 + 80) / 8)
    assert r.ceo_interim is True
    assert r.ceo_interim_reasons == ("executive sponsorship 80.0 is at least 60: strong",)
    # and the mirror image: everything strong but sponsorship (40): secure it first
    y = rows([90] * 5)
    y[:, SP] = 40
    assert aggregate_readiness(y, {"level": ["board"] * 5}).ceo_interim is False


def test_old_releases_are_read_by_todays_rule():
    """A release stored by the old rule (True when sponsorship was *low*) reads correctly."""
    strong = rows([20] * 5)
    strong[:, SP] = 75
    stored = aggregate_readiness(strong, {"level": ["board"] * 5}).to_dict()
    # what the old code stored for it: the index 27 was below 40, so it said "recommend"
    stored["ceo_interim"] = True
    stored["ceo_interim_reasons"] = ["readiness index 26.9 is below 40"]
    read = ReadinessResult.from_dict(json.loads(json.dumps(stored)))
    assert read.ceo_interim is True
    assert read.ceo_interim_reasons == ("executive sponsorship 75.0 is at least 60: strong",)
    weak = aggregate_readiness(rows([30] * 5), {"level": ["board"] * 5}).to_dict()
    weak["ceo_interim"] = True  # old rule: sponsorship 30 < 40, "recommend the CEO"
    assert ReadinessResult.from_dict(weak).ceo_interim is False


def test_stage_of_thresholds():
    assert stage_of([0, 19.99, 20, 40, 59.9, 60, 80, 100]).tolist() == [1, 1, 2, 3, 3, 4, 5, 5]
    assert [stage_name(s) for s in range(1, 6)] == [
        "Unaware", "Aware", "Committed", "Mobilised", "Customer-led",
    ]  # fmt: skip
    with pytest.raises(ScoringError):
        stage_of(np.nan)


def test_dimension_weights():
    x = rows([50] * 5)
    x[:, 0] = 90  # education
    r = aggregate_readiness(x, {}, dimension_weights={"education": 3, "sponsorship": 1})
    # (3 * 90 + 1 * 50) / 4 = 80
    assert r.index == pytest.approx(80)
    with pytest.raises(ScoringError, match="unknown dimensions"):
        aggregate_readiness(x, {}, dimension_weights={"vibes": 1})
    with pytest.raises(ScoringError, match="positive sum"):
        aggregate_readiness(x, {}, dimension_weights={"education": 0})


def test_small_cells_are_suppressed_with_complement():
    # board 3 (< 5) is hidden; overall - executive - front line would reveal it,
    # so the least wanted set in that combination, the smaller level
    # (executive, 6), is hidden too.  Front line (7) stays.
    lv = ["board"] * 3 + ["executive"] * 6 + ["front_line"] * 7
    x = rows(np.linspace(10, 90, 16))
    r = aggregate_readiness(x, {"level": lv})
    t = r.tables["level"]
    assert [c.segment for c in t.cells] == [{"level": "front_line"}]
    assert t.suppressed == ({"level": "board"}, {"level": "executive"})
    d = t.to_dict()
    assert d["suppressed"] == [{"level": "board"}, {"level": "executive"}]
    assert d["suppressed_count"] == 2
    assert "n" not in json.dumps(d["suppressed"])
    assert r.gaps == ()  # only one published level: no gap can be computed
    assert r.overall.n == 16


def test_dimension_level_suppression():
    # executive has 6 rows but only 4 answered sponsorship -> that mean is hidden,
    # and (complement) so is front line's sponsorship, though it has 6 answers.
    lv = ["executive"] * 6 + ["front_line"] * 6
    x = rows([60] * 6 + [40] * 6)
    x[:2, SP] = np.nan
    r = aggregate_readiness(x, {"level": lv})
    ex = r.tables["level"].cell(level="executive")
    fl = r.tables["level"].cell(level="front_line")
    assert ex.n == 6 and ex.mean["sponsorship"] is None and ex.sd["sponsorship"] is None
    assert fl.mean["sponsorship"] is None
    assert ex.mean["education"] == 60 and fl.mean["education"] == 40
    assert ex.index is None  # an index from seven of eight dimensions is not comparable
    assert r.overall.mean["sponsorship"] == pytest.approx((4 * 60 + 6 * 40) / 10)
    assert all(g.dimension != "sponsorship" for g in r.gaps)


def test_heatmap_complement_against_margins():
    # executive: ops 6, sales 2 (hidden) -> ops hidden too (executive row total - ops = sales)
    lv = ["executive"] * 8 + ["front_line"] * 12
    dp = ["ops"] * 6 + ["sales"] * 2 + ["ops"] * 6 + ["sales"] * 6
    x = rows(np.linspace(20, 80, 20))
    r = aggregate_readiness(x, {"level": lv, "department": dp})
    heat = r.tables["level_department"]
    shown = [tuple(c.segment.values()) for c in heat.cells]
    hidden = [tuple(s.values()) for s in heat.suppressed]
    assert ("executive", "sales") in hidden and ("executive", "ops") in hidden
    # the sales column total - front_line/sales = executive/sales: front_line/sales goes;
    # then executive - ops + front_line/ops = executive/sales again: front_line/ops goes.
    assert shown == []
    assert len(hidden) == 4
    # the one-way tables are wanted more and all stay
    assert r.tables["level"].cell(level="executive").n == 8
    assert r.tables["department"].cell(department="sales").n == 8


def test_missing_segment_labels_count_overall_only():
    # three people without a level count overall and in no level.  overall (8) -
    # executive (5) would single out those three, so executive is withheld.
    lv = ["executive"] * 5 + [None] * 2 + [""]
    r = aggregate_readiness(rows([50] * 8), {"level": lv})
    assert r.overall.n == 8
    assert r.tables["level"].cells == ()
    assert r.tables["level"].suppressed == ({"level": "executive"},)
    # with five unlabelled people the difference is five: both are published
    lv = ["executive"] * 5 + [None] * 5
    r = aggregate_readiness(rows([50] * 10), {"level": lv})
    assert r.overall.n == 10
    assert r.tables["level"].cell(level="executive").n == 5


def test_releases_are_checked_together():
    # release 1: 12 executives; release 2 adds one front-line respondent.  The new overall
    # minus the old one is that person: the overall of release 2 is withheld.
    lv = ["executive"] * 12 + ["front_line"]
    x = rows(np.linspace(10, 90, 13))
    first = aggregate_readiness(x[:12], {"level": lv[:12]})
    earlier = published_sets(first, {"level": lv}, np.arange(13) < 12)
    assert earlier.shape == (2, 13) and earlier.sum(axis=1).tolist() == [12, 12]
    second = aggregate_readiness(x, {"level": lv}, earlier=earlier)
    assert second.overall is None and second.index is None
    assert any("withheld" in f for f in second.flags)
    assert second.tables["level"].cell(level="executive").n == 12  # same set as before
    # five newcomers are fine
    lv5 = ["executive"] * 12 + ["front_line"] * 5
    x5 = rows(np.linspace(10, 90, 17))
    earlier5 = published_sets(first, {"level": lv5}, np.arange(17) < 12)
    third = aggregate_readiness(x5, {"level": lv5}, earlier=earlier5)
    assert third.overall.n == 17 and third.tables["level"].cell(level="front_line").n == 5
    # earlier releases that already disclose: nothing new is published, and it says so
    bad = np.array([np.arange(17) < 12, np.arange(17) < 13])
    r = aggregate_readiness(x5, {"level": lv5}, earlier=bad)
    assert r.overall is None and r.tables["level"].cells == ()
    assert any("earlier releases already" in f for f in r.flags)
    with pytest.raises(ScoringError, match="membership matrix"):
        aggregate_readiness(x5, {"level": lv5}, earlier=np.ones((1, 3), dtype=bool))
    with pytest.raises(ScoringError, match="unknown dimensions"):
        aggregate_readiness(x5, {"level": lv5}, earlier_means={"vibes": earlier5})


def test_dimension_means_use_their_own_earlier_sets():
    # release 1: 10 respondents, sponsorship answered by 6 executives and 4 front line.
    lv = ["executive"] * 6 + ["front_line"] * 6 + ["executive"] * 6
    x = rows([60] * 6 + [40] * 6 + [50] * 6)
    x[6:8, SP] = np.nan  # two front-line people skipped sponsorship
    first = aggregate_readiness(x[:12], {"level": lv[:12]})
    fl = first.tables["level"].cell(level="front_line")
    ex = first.tables["level"].cell(level="executive")
    assert fl.mean["sponsorship"] is None  # 4 answers
    assert ex.mean["sponsorship"] is None  # complement: overall - executive
    assert first.overall.mean["sponsorship"] is not None
    seg, inc = {"level": lv}, np.arange(18) < 12
    earlier = published_sets(first, seg, inc)
    # conservative: the executive n was published, so its sponsorship set counts as published too,
    # and overall - executive = the 4 front-line answerers -> no new sponsorship mean at all
    rough = aggregate_readiness(x, seg, earlier=earlier)
    assert rough.overall.mean["sponsorship"] is None
    assert any("answers to sponsorship" in f for f in rough.flags)
    # exact: the stored release says which sponsorship means were published
    means = {d: published_sets(first, seg, inc, d) for d in DIMENSIONS}
    assert len(means["sponsorship"]) == 1 and len(means["education"]) == 3
    exact = aggregate_readiness(x, seg, earlier=earlier, earlier_means=means)
    assert exact.overall.mean["sponsorship"] is not None
    assert exact.overall.mean["education"] is not None


def test_result_round_trips_through_json():
    lv = ["board"] * 3 + ["executive"] * 6 + ["front_line"] * 7
    dp = ["ops", "sales"] * 8
    items = np.tile(np.array([[3, 4], [2, 5], [4, 4], [5, 3]], dtype=float), (4, 1))
    x = rows(np.linspace(10, 90, 16))
    x[0, 2] = np.nan
    r = aggregate_readiness(
        x, {"level": lv, "department": dp}, k=3, item_responses=items,
        item_dimensions=["sponsorship", "education"],
    )  # fmt: skip
    stored = json.loads(json.dumps(r.to_dict()))
    back = ReadinessResult.from_dict(stored)
    assert back == r
    assert back.to_dict() == r.to_dict() == stored
    assert r.gaps and back.gaps[0] == r.gaps[0]
    tiny = aggregate_readiness(rows([50]), {"level": ["board"]})
    assert ReadinessResult.from_dict(json.loads(json.dumps(tiny.to_dict()))) == tiny
    assert MIN_K == 3 and MAX_K == 10 and MIN_K <= DEFAULT_K <= MAX_K


def test_rwg_formula():
    # sigma²_EU for 5 options = (25 - 1) / 12 = 2
    # one item, s² = 1: 1 - 1/2 = 0.5
    assert rwg(1.0, 1, 5) == pytest.approx(0.5)
    # two items, mean s² = 1: x = .5 -> 2(.5) / (2(.5) + .5) = 2/3
    assert rwg(1.0, 2, 5) == pytest.approx(2 / 3)
    # more spread than uniform (s² = 3 > 2): truncated to 0
    assert rwg(3.0, 4, 5) == 0.0
    assert rwg(0.0, 3, 5) == 1.0
    assert np.isnan(rwg(np.nan, 2, 5))
    with pytest.raises(ScoringError):
        rwg(1.0, 1, 1)


def test_rwg_in_cells():
    # five executives answer two sponsorship items; item 1: 3,3,4,4,5 -> s² = 0.7;
    # item 2: 2,3,3,3,4 -> s² = 0.5; mean 0.6; x = 0.3 -> 2(.7) / (2(.7) + .3) = 1.4 / 1.7
    items = np.array([[3, 2], [3, 3], [4, 3], [4, 3], [5, 4]], dtype=float)
    assert sample_var([3, 3, 4, 4, 5]) == pytest.approx(0.7)
    r = aggregate_readiness(
        rows([60] * 5),
        {"level": ["executive"] * 5},
        item_responses=items,
        item_dimensions=["sponsorship", "sponsorship"],
    )
    cell = r.tables["level"].cell(level="executive")
    assert cell.rwg["sponsorship"] == pytest.approx(1.4 / 1.7)
    assert cell.rwg["education"] is None  # no items for it
    assert r.overall.rwg["sponsorship"] == pytest.approx(1.4 / 1.7)
    with pytest.raises(ScoringError, match=r"1\.\.5"):
        aggregate_readiness(rows([60] * 5), {}, item_responses=items * 2,
                            item_dimensions=["sponsorship"] * 2)  # fmt: skip
    with pytest.raises(ScoringError, match="item_dimensions"):
        aggregate_readiness(rows([60] * 5), {}, item_responses=items)


def test_one_respondent_is_a_flagged_result():
    r = aggregate_readiness(rows([50]), {"level": ["board"]})
    assert r.overall is None and r.index is None and r.stage is None
    assert r.ceo_interim is None and r.ceo_interim_reasons == ("too few responses to judge",)
    assert r.tables["level"].cells == () and r.tables["level"].suppressed == ({"level": "board"},)
    assert any("fewer than k" in f for f in r.flags)
    assert json.dumps(r.to_dict())


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        (np.full((5, 8), np.nan), {}, "all missing"),
        (np.zeros((0, 8)), {}, "no respondents"),
        (np.zeros((5, 7)), {}, r"n × 8"),
        (np.full((5, 8), 101.0), {}, r"\[0, 100\]"),
        (np.full((5, 8), 50.0), {"k": 0}, "at least 1"),
        (np.full((5, 8), 50.0), {"critical": ["vibes"]}, "critical"),
        (np.full((5, 8), 50.0), {"segments": {"level": ["a"]}}, "labels for 5"),
        ([["x"] * 8] * 5, {}, "numeric"),
    ],
)
def test_degenerate_input(scores, kwargs, message):
    segments = kwargs.pop("segments", {})
    with pytest.raises(ScoringError, match=message):
        aggregate_readiness(scores, segments, **kwargs)


def test_compare_rounds():
    lv = ["executive"] * 5 + ["front_line"] * 5
    before = aggregate_readiness(rows([40] * 5 + [20] * 5), {"level": lv})
    after = aggregate_readiness(rows([50] * 5 + [35] * 5), {"level": lv})
    c = compare_rounds(before, after)
    # overall 30 -> 42.5: +12.5 on every dimension and the index
    assert c.dimension_change["education"] == pytest.approx(12.5)
    assert c.index_change == pytest.approx(12.5)
    assert (c.stage_before, c.stage_after) == (2, 3)
    assert c.level_change["executive"]["index"] == pytest.approx(10)
    assert c.level_change["front_line"]["sponsorship"] == pytest.approx(15)
    assert json.dumps(c.to_dict())
    tiny = aggregate_readiness(rows([50]), {})
    assert compare_rounds(tiny, after).index_change is None
    other = aggregate_readiness(rows([50] * 5)[:, :4], {}, dimensions=DIMENSIONS[:4],
                                critical=["sponsorship"])  # fmt: skip
    with pytest.raises(ScoringError, match="different dimensions"):
        compare_rounds(other, after)


# ---------------------------------------------------------------- properties

LEVEL_VALUES = ["board", "executive", "middle_management", "front_line", None]


@st.composite
def surveys(draw):
    n = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (n, 8))
    x[rng.random((n, 8)) < draw(st.sampled_from([0.0, 0.1, 0.4]))] = np.nan
    if np.all(np.isnan(x)):
        x[0, 0] = 50
    lv = rng.choice(np.array(LEVEL_VALUES, dtype=object), n, p=[0.1, 0.2, 0.3, 0.35, 0.05])
    dp = rng.choice(np.array(["ops", "sales", "finance"], dtype=object), n)
    rg = rng.choice(np.array(["eu", "us"], dtype=object), n, p=[0.8, 0.2])
    k = draw(st.integers(2, 7))
    return x, {"level": list(lv), "department": list(dp), "region": list(rg)}, k


@settings(max_examples=60, deadline=None)
@given(surveys())
def test_no_small_cell_ever_leaves(data):
    x, seg, k = data
    r = aggregate_readiness(x, seg, k=k)
    n = x.shape[0]
    # reference counts by plain loops
    for name, table in r.tables.items():
        rows_in: dict[tuple, list[int]] = defaultdict(list)
        for i in range(n):
            labels = tuple(seg[b][i] for b in table.by)
            if all(v not in (None, "") for v in labels):
                rows_in[labels].append(i)
        unlabelled = [i for i in range(n) if any(seg[b][i] in (None, "") for b in table.by)]
        hidden_rows = [i for s in table.suppressed for i in rows_in[tuple(s[b] for b in table.by)]]
        for cell in table.cells:
            members = rows_in[tuple(cell.segment[b] for b in table.by)]
            assert cell.n == len(members) >= k
            for d, dim in enumerate(DIMENSIONS):
                answered = [i for i in members if not np.isnan(x[i, d])]
                if cell.mean[dim] is not None:
                    assert len(answered) >= k
                    assert cell.mean[dim] == pytest.approx(np.mean(x[answered, d]))
        for s in table.suppressed:
            assert set(s) == set(table.by)
        if name in ("level", "department", "region") and r.overall is not None:
            # complementary suppression, one line: the overall minus the published cells is
            # the hidden cells plus the unlabelled: nobody, or at least k people
            rest = len(hidden_rows) + len(unlabelled)
            assert rest == 0 or rest >= k
            for d, dim in enumerate(DIMENSIONS):
                if r.overall.mean[dim] is None:
                    continue
                left = [i for i in range(n) if not np.isnan(x[i, d])]
                for cell in table.cells:
                    if cell.mean[dim] is not None:
                        members = set(rows_in[tuple(cell.segment[b] for b in table.by)])
                        left = [i for i in left if i not in members]
                assert len(left) == 0 or len(left) >= k
    # values derived from cells: gaps use published level means only
    level = r.tables.get("level")
    for g in r.gaps:
        a, b = level.cell(level=g.upper), level.cell(level=g.lower)
        assert a is not None and b is not None
        va = a.index if g.dimension == "index" else a.mean[g.dimension]
        assert va == g.upper_mean and abs(g.gap) >= 15
    if r.overall is None:
        assert n < k and r.index is None
    else:
        assert r.overall.n >= k
        if r.index is not None:
            assert 0 <= r.index <= 100 and 1 <= r.stage <= r.uncapped_stage <= 5
    assert json.dumps(r.to_dict())


def test_published_total_but_every_dimension_thin():
    # five respondents, but each dimension answered by only four: the total n is
    # publishable, no dimension mean is, so there is no index or stage (flagged).
    x = rows([50] * 5)
    x[np.arange(5), np.arange(5)] = np.nan
    x[:, 5:] = np.nan
    x[0, 5:] = 50
    r = aggregate_readiness(x, {"level": ["executive"] * 5})
    assert r.overall.n == 5
    assert all(v is None for v in r.overall.mean.values())
    assert r.index is None and r.stage is None and r.strongest is None
    assert r.ceo_interim is None
    assert any("no dimension has k answers" in f for f in r.flags)


def test_stage_names_match_the_readiness_narratives():
    from questionnaires import load_narratives
    from scoring.readiness import STAGES

    stages = load_narratives("readiness")["stages"]
    assert [s["name"] for s in sorted(stages, key=lambda s: s["stage"])] == [n for _, n in STAGES]
