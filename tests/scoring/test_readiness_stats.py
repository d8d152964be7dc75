"""Readiness statistics: "don't know" counted, ICC(1)/ICC(2) across levels, agreement read
within levels, gaps worded as differences of perception, and all of it only where the
level's cell is published."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest

from scoring.agreement import icc1_icc2
from scoring.errors import ScoringError
from scoring.readiness import (
    DIMENSIONS,
    ICC1_MIN,
    ICC2_MIN,
    LARGE_GAP,
    NO_AGREEMENT,
    RWG_LABELS,
    LevelICC,
    ReadinessResult,
    aggregate_readiness,
    agreement_label,
    perception_gap,
    rwg,
)

SP = DIMENSIONS.index("sponsorship")


def test_documented_thresholds_are_pinned():
    # Bliese (2000); LeBreton & Senter (2008): ICC(1) above .05, ICC(2) at least .70
    assert ICC1_MIN == 0.05
    assert ICC2_MIN == 0.70
    assert RWG_LABELS == (
        (0.9, "very strong agreement"),
        (0.7, "strong agreement"),
        (0.5, "moderate agreement"),
        (0.3, "weak agreement"),
    )
    assert NO_AGREEMENT == "lack of agreement"
    assert LARGE_GAP == 30.0


def test_aggregation_rule_at_its_boundaries():
    assert LevelICC(0.06, 0.70, 4).justified  # ICC(2) exactly .70 counts
    assert not LevelICC(0.05, 0.95, 4).justified  # ICC(1) must be *above* .05
    assert not LevelICC(0.30, 0.69, 4).justified
    assert "hardly differ" in LevelICC(0.05, 0.95, 4).verdict
    assert "not yet dependable" in LevelICC(0.30, 0.69, 4).verdict
    assert "dependable" in LevelICC(0.30, 0.90, 4).verdict
    assert LevelICC.from_dict(LevelICC(0.3, 0.9, 3).to_dict()) == LevelICC(0.3, 0.9, 3)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.95, "very strong agreement"),
        (0.9, "very strong agreement"),
        (0.8999, "strong agreement"),
        (0.7, "strong agreement"),
        (0.5, "moderate agreement"),
        (0.3, "weak agreement"),
        (0.2999, "lack of agreement"),
        (0.0, "lack of agreement"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_agreement_label(value, words):
    assert agreement_label(value) == words


def test_perception_gap_wording():
    text = perception_gap("Executive sponsorship", "board", 83.0, "front_line", 30.0)
    assert text == (
        "The board sees executive sponsorship as much stronger than the front line does "
        "(83 against 30)."
    )
    # the higher level is the subject, whichever way round the pair is given
    text = perception_gap("Data and channel transparency", "executive", 40, "front_line", 60)
    assert text == (
        "The front line sees data and channel transparency as stronger than executives do "
        "(60 against 40)."
    )
    assert perception_gap("index", "board", 70, "middle_management", 50).startswith(
        "The board sees the organisation as readier for a CCO than middle managers do"
    )
    # exactly LARGE_GAP apart is "much"
    assert "much stronger" in perception_gap("Education", "board", 80, "executive", 50)
    for t in (text, perception_gap("Education", "board", 90, "front_line", 10)):
        assert "agree" not in t.lower() and "resist" not in t.lower()


# ------------------------------------------------------------------ ICC


def _levels_data(sizes, means, seed=5):
    rng = np.random.default_rng(seed)
    levels = ["board", "executive", "middle_management", "front_line"]
    labels = [lv for lv, n in zip(levels, sizes, strict=False) for _ in range(n)]
    mu = np.repeat(np.asarray(means[: len(sizes)], dtype=float), sizes)
    x = np.clip(mu[:, None] + rng.normal(0, 8, size=(len(labels), 8)), 0, 100)
    return x, labels


def test_icc_matches_pingouin_with_equal_levels():
    x, labels = _levels_data([6, 6, 6, 6], [80, 60, 50, 35])
    r = aggregate_readiness(x, {"level": labels}, k=5)
    df = pd.DataFrame({"level": labels, "member": np.tile(np.arange(6), 4), "y": x[:, SP]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pingouin.intraclass_corr(df, targets="level", raters="member", ratings="y")
    ref = ref.set_index("Type")
    icc = r.icc["sponsorship"]
    assert icc is not None and icc.levels == 4
    assert icc.icc1 == pytest.approx(ref.loc["ICC(1,1)", "ICC"], abs=1e-10)
    assert icc.icc2 == pytest.approx(ref.loc["ICC(1,k)", "ICC"], abs=1e-10)
    assert icc.justified  # levels 45 points apart, SD 8


def test_icc_hand_numbers_with_unequal_levels():
    # education scores: board 80, 90, 85, 75, 70 (mean 80); front line 30, 40, 20, 35, 25, 30
    # (mean 30); grand mean (400 + 180) / 11
    board = [80, 90, 85, 75, 70]
    front = [30, 40, 20, 35, 25, 30]
    x = np.full((11, 8), 50.0)
    x[:, 0] = board + front
    x[:, 1:] += np.arange(11)[:, None]  # other dimensions: some spread, no level effect
    r = aggregate_readiness(x, {"level": ["board"] * 5 + ["front_line"] * 6}, k=5)
    grand = 580 / 11
    ssb = 5 * (80 - grand) ** 2 + 6 * (30 - grand) ** 2
    ssw = (0 + 100 + 25 + 25 + 100) + (0 + 100 + 100 + 25 + 25 + 0)
    msb, msw = ssb / 1, ssw / 9
    k0 = 11 - (25 + 36) / 11
    icc = r.icc["education"]
    assert icc.icc1 == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw), abs=1e-12)
    assert icc.icc2 == pytest.approx((msb - msw) / msb, abs=1e-12)
    assert icc.levels == 2


def test_icc_leaves_out_hidden_levels():
    # the board (3 people) is below k = 5: hidden, and takes no part in the ICC
    x, labels = _levels_data([3, 7, 7, 8], [90, 60, 50, 35], seed=9)
    r = aggregate_readiness(x, {"level": labels}, k=5)
    shown = [c.segment["level"] for c in r.tables["level"].cells]
    assert "board" not in shown and {"level": "board"} in r.tables["level"].suppressed
    rows = np.isin(labels, shown)
    ref = icc1_icc2(x[rows, SP], np.asarray(labels)[rows])
    assert r.icc["sponsorship"].icc1 == pytest.approx(float(ref.icc1), abs=1e-12)
    assert r.icc["sponsorship"].levels == len(shown)


def test_icc_needs_two_published_levels():
    x, labels = _levels_data([6], [60])
    assert aggregate_readiness(x, {"level": labels}, k=5).icc["sponsorship"] is None
    assert aggregate_readiness(x, {}, k=5).icc == {}  # no level table: nothing computed
    same = np.full((10, 8), 50.0)  # identical level means: ICC(2) undefined
    r = aggregate_readiness(same, {"level": ["board"] * 5 + ["front_line"] * 5}, k=5)
    assert r.icc["sponsorship"] is None


# ------------------------------------------- the defect: pooled "agreement"


def _defect_case():
    """Six board members and 24 front-line staff each answer the six sponsorship statements
    alike within their level, about 58 points apart (the level sizes of a real round)."""
    board_rows = [
        [4, 5, 4, 4, 5, 4],
        [5, 4, 4, 5, 4, 4],
        [4, 4, 5, 4, 4, 4],
        [5, 5, 4, 4, 5, 4],
        [4, 4, 4, 5, 4, 5],
        [5, 4, 5, 4, 4, 5],
    ]
    front_rows = [
        [2, 2, 3, 2, 2, 2],
        [2, 2, 2, 2, 3, 2],
        [3, 2, 2, 2, 2, 1],
        [2, 1, 2, 2, 2, 2],
        [2, 2, 2, 3, 2, 2],
        [2, 3, 2, 2, 1, 2],
    ] * 4
    items = np.array(board_rows + front_rows, dtype=float)
    pomp = (items.mean(axis=1) - 1) / 4 * 100
    x = np.full((30, 8), 55.0) + np.arange(30)[:, None] % 3  # other dimensions: level-free
    x[:, SP] = pomp
    labels = ["board"] * 6 + ["front_line"] * 24
    return x, items, labels


def test_pooled_agreement_hides_a_perception_gap_that_levels_and_icc_show():
    x, items, labels = _defect_case()
    # what the old report did: r_wg(J) over everyone says "strong agreement"
    pooled = float(rwg(items.var(axis=0, ddof=1).mean(), 6, 5))
    assert agreement_label(pooled) == "strong agreement"
    r = aggregate_readiness(
        x,
        {"level": labels},
        k=5,
        item_responses=items,
        item_dimensions=["sponsorship"] * 6,
    )
    assert r.overall.rwg["sponsorship"] == pytest.approx(pooled)
    assert pooled == pytest.approx(0.8315, abs=1e-4)
    board = r.tables["level"].cell(level="board")
    front = r.tables["level"].cell(level="front_line")
    assert board.mean["sponsorship"] == pytest.approx(84.03, abs=0.01)
    assert front.mean["sponsorship"] == pytest.approx(26.39, abs=0.01)
    # the new output: each level agrees within itself ...
    within = dict(r.within_levels("sponsorship"))
    assert set(within) == {"board", "front_line"}
    assert all(agreement_label(v) == "very strong agreement" for v in within.values())
    # ... ICC(1) says the levels differ, so the pooled figure cannot stand for either ...
    icc = r.icc["sponsorship"]
    assert icc.icc1 > ICC1_MIN and icc.icc1 == pytest.approx(0.9940, abs=1e-4) and icc.justified
    # ... and the gap is a difference of perception
    gap = next(g for g in r.gaps if g.dimension == "sponsorship")
    text = perception_gap(
        "Executive sponsorship", gap.upper, gap.upper_mean, gap.lower, gap.lower_mean
    )
    assert text == (
        "The board sees executive sponsorship as much stronger than the front line does "
        "(84 against 26)."
    )


# ------------------------------------------------------------ don't know


def _dk_case(k=5):
    """12 front line + 6 board; front-line staff answer "don't know" about the board."""
    rng = np.random.default_rng(3)
    n_board, n_front = 6, 12
    labels = ["board"] * n_board + ["front_line"] * n_front
    x = rng.uniform(30, 80, size=(n_board + n_front, 8))
    keys = ["spons_1", "spons_2", "voice_1"]
    dims = ["sponsorship", "sponsorship", "voice_of_customer"]
    dk = np.zeros((len(labels), 3), dtype=bool)
    dk[n_board : n_board + 5, 0] = True  # five front-line staff: spons_1
    dk[n_board + 2 : n_board + 9, 1] = True  # seven: spons_2 (three of them also spons_1)
    dk[n_board + 11, 2] = True  # one: voice_1
    dk[0, 2] = True  # one board member: voice_1
    # the five who said "don't know" to both sponsorship statements... and more: say the
    # dimension is left without a score for two of them
    x[n_board + 2, SP] = np.nan
    x[n_board + 3, SP] = np.nan
    return x, labels, dk, keys, dims


def test_dont_know_is_counted_per_level_dimension_and_item():
    x, labels, dk, keys, dims = _dk_case()
    r = aggregate_readiness(
        x,
        {"level": labels},
        k=5,
        dont_know=dk,
        dont_know_items=keys,
        dont_know_dimensions=dims,
    )
    front = r.tables["level"].cell(level="front_line")
    board = r.tables["level"].cell(level="board")
    # respondents with at least one "don't know" in the dimension: 0..8 of the front line
    assert front.dont_know["sponsorship"] == 9
    assert front.dont_know["voice_of_customer"] == 1
    assert front.dont_know["education"] == 0
    assert front.dont_know_items == {"spons_1": 5, "spons_2": 7, "voice_1": 1}
    assert board.dont_know_items == {"spons_1": 0, "spons_2": 0, "voice_1": 1}
    assert r.overall.dont_know["sponsorship"] == 9
    assert r.overall.dont_know_items == {"spons_1": 5, "spons_2": 7, "voice_1": 2}
    # missing, not zero: the front line's sponsorship mean is over the 10 who have a score
    assert front.mean["sponsorship"] == pytest.approx(np.nanmean(x[6:, SP]))
    # the counts survive the stored JSON
    again = ReadinessResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again.to_dict() == r.to_dict()
    assert again.tables["level"].cell(level="front_line").dont_know_items["spons_2"] == 7


def test_small_cells_hide_dont_know_counts_and_agreement():
    x, labels, dk, keys, dims = _dk_case()
    labels = ["board"] * 3 + ["executive"] * 3 + ["front_line"] * 12
    items = np.clip(np.round(x[:, :6] / 20), 1, 5)
    r = aggregate_readiness(
        x,
        {"level": labels},
        k=5,
        item_responses=items,
        item_dimensions=list(DIMENSIONS[:6]),
        dont_know=dk,
        dont_know_items=keys,
        dont_know_dimensions=dims,
    )
    table = r.tables["level"]
    hidden = [s["level"] for s in table.suppressed]
    assert "board" in hidden and "executive" in hidden
    stored = json.dumps(r.to_dict()["tables"]["level"])
    for cell in table.cells:  # every per-level figure sits on a published cell
        assert cell.n >= 5 and cell.dont_know is not None and cell.rwg is not None
    assert [lv for lv, _ in r.within_levels("sponsorship")] == [
        c.segment["level"] for c in table.cells
    ]
    assert '"board"' not in stored.split('"suppressed"')[0]
    # overall minus the published levels leaves the hidden levels together: >= k people,
    # so their combined "don't know" count describes no group under k
    rest = r.overall.n - sum(c.n for c in table.cells)
    assert rest == 0 or rest >= 5
    # and a level hidden from the counts has no ICC part either
    icc = r.icc.get("sponsorship")
    assert icc is None or icc.levels == len(table.cells)


def test_a_release_with_too_few_respondents_publishes_no_count():
    x, labels, dk, keys, dims = _dk_case()
    r = aggregate_readiness(
        x[:4],
        {"level": labels[:4]},
        k=5,
        dont_know=dk[:4],
        dont_know_items=keys,
        dont_know_dimensions=dims,
    )
    assert r.overall is None and r.tables["level"].cells == ()
    assert "dont_know" not in json.dumps(r.to_dict())


def test_dont_know_input_is_checked():
    x, _, dk, keys, dims = _dk_case()
    with pytest.raises(ScoringError, match="n × m"):
        aggregate_readiness(
            x, {}, dont_know=dk[:3], dont_know_items=keys, dont_know_dimensions=dims
        )
    with pytest.raises(ScoringError, match="key and the dimension"):
        aggregate_readiness(
            x, {}, dont_know=dk, dont_know_items=keys[:2], dont_know_dimensions=dims
        )
    with pytest.raises(ScoringError, match="unknown dimensions"):
        aggregate_readiness(
            x, {}, dont_know=dk, dont_know_items=keys, dont_know_dimensions=["nope", *dims[1:]]
        )
    with pytest.raises(ScoringError, match="boolean"):
        aggregate_readiness(
            x, {}, dont_know=dk * 2, dont_know_items=keys, dont_know_dimensions=dims
        )


def test_releases_stored_before_the_statistics_still_load():
    x, labels, *_ = _dk_case()
    data = aggregate_readiness(x, {"level": labels}, k=5).to_dict()
    data.pop("icc")  # what a release stored before ICC and "don't know" holds
    old = ReadinessResult.from_dict(data)
    assert old.icc == {}
    assert old.overall.dont_know is None and old.overall.dont_know_items is None
    assert old.within_levels("sponsorship")[0][0] == "board"
