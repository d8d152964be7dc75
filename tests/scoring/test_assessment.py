"""The v2 assessment pipeline on the SHIPPED cco_candidate v2 instrument.

Simulated respondents (fixed seeds, one ``score_assessment`` call per population):

- honest: traits η ~ N(0, I) → blocks through the Thurstonian model with the shipped
  parameters; Likert self-ratings 3.8 + 0.6η + N(0, 0.7) rounded to 1..5 (mean about
  0.7 on the 0-1 metric, as the elevation cut-off assumes); situations rated at the
  expert key plus N(0, σ), σ = clip(1 − 0.5η, 0.3, 2.5) (noise grows as the trait
  falls); familiarity: a real concept is known with probability Φ(0.5 + 0.8η_curiosity)
  (known 4..6, else 0..3), foils mostly 0-2; unlikely virtues mostly disagree;
  experience options ticked with probability 0.35; attention checks passed.
- faker ("desirable answer everywhere"): every block ranked by desirability (ties
  broken at random), every situation option rated at the top, every concept claimed
  at 6, top agreement on every Likert item, every experience ticked except "none",
  attention checks passed, plus two random self-ratings lowered to 4.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

import questionnaires
from scoring import thurstonian
from scoring.assessment import DEFAULT_SOURCE_SEM, score_assessment
from scoring.effectiveness import key_of
from scoring.errors import ScoringError
from scoring.fit import compute_fit
from scoring.key import compile_key
from scoring.matrix import answers_to_matrix
from scoring.profiles import default_profile
from scoring.scales import score_scales

N_HONEST = 2000
N_FAKERS = 200
ARCHETYPES = ("board_strategist", "operating_executive", "influence_leader")


@pytest.fixture(scope="module")
def v2():
    return questionnaires.load("cco_candidate", 2)


def _ranks_to_answers(v2, ranks: np.ndarray) -> list[dict[str, object]]:
    blocks = [it for it in v2.iter_items() if it.type == "forced_choice"]
    most = np.argmin(ranks, axis=2)
    least = np.argmax(ranks, axis=2)
    keys = [[st.key for st in it.statements] for it in blocks]
    return [
        {it.key: [keys[j][most[r, j]], keys[j][least[r, j]]] for j, it in enumerate(blocks)}
        for r in range(ranks.shape[0])
    ]


def _likert_items(v2, validity: bool):
    kinds = {s.key: s.is_validity for s in v2.scales}
    return [
        it
        for it in v2.iter_items()
        if it.type == "likert" and it.attention is None and kinds.get(it.scale) is validity
    ]


def honest(v2, n: int, seed: int) -> tuple[list[dict[str, object]], np.ndarray, tuple[str, ...]]:
    """Answers and true traits (n × traits, design order) of simulated honest candidates."""
    rng = np.random.default_rng(seed)
    design, traits, _ = thurstonian.design_of(v2)
    t_index = {t: i for i, t in enumerate(traits)}
    eta = rng.standard_normal((n, len(traits)))
    answers = _ranks_to_answers(v2, thurstonian.simulate(design, eta, rng))
    for it in _likert_items(v2, validity=False):
        x = np.clip(np.rint(3.8 + 0.6 * eta[:, t_index[it.scale]] + rng.normal(0, 0.7, n)), 1, 5)
        for r in range(n):
            answers[r][it.key] = int(x[r])
    for it in _likert_items(v2, validity=True):
        x = rng.choice(5, size=n, p=[0.35, 0.35, 0.15, 0.10, 0.05]) + 1
        for r in range(n):
            answers[r][it.key] = int(x[r])
    for it in v2.iter_items():
        if it.type == "effectiveness":
            level = eta[:, [t_index[s] for s in it.scales]].mean(axis=1)
            sigma = np.clip(1.0 - 0.5 * level, 0.3, 2.5)
            keys = np.array([o.effectiveness for o in it.options])
            x = np.clip(np.rint(keys + rng.standard_normal((n, keys.size)) * sigma[:, None]), 1, 6)
            for r in range(n):
                answers[r][it.key] = {o.key: int(x[r, k]) for k, o in enumerate(it.options)}
        elif it.type == "familiarity":
            if it.real:
                known = rng.random(n) < ndtr(0.5 + 0.8 * eta[:, t_index["curiosity"]])
                x = np.where(known, rng.integers(4, 7, n), rng.integers(0, 4, n))
            else:
                x = rng.choice(5, size=n, p=[0.55, 0.25, 0.12, 0.05, 0.03])
            for r in range(n):
                answers[r][it.key] = int(x[r])
        elif it.type == "checklist":
            opts = [o.key for o in it.options if not o.exclusive]
            ticked = rng.random((n, len(opts))) < 0.35
            for r in range(n):
                chosen = [o for o, t in zip(opts, ticked[r], strict=True) if t]
                answers[r][it.key] = chosen or [it.exclusive_option.key]
        elif it.attention is not None:
            for r in range(n):
                answers[r][it.key] = int(it.attention)
    return answers, eta, traits


def faker(v2, n: int, seed: int) -> list[dict[str, object]]:
    """The "desirable answer everywhere" responder, n runs with their own tie-breaks."""
    rng = np.random.default_rng(seed)
    blocks = [it for it in v2.iter_items() if it.type == "forced_choice"]
    des = np.array([[st.desirability for st in it.statements] for it in blocks])
    utility = des[None] + 1e-3 * rng.random((n, *des.shape))  # ties broken at random
    ranks = (np.argsort(np.argsort(-utility, axis=2), axis=2) + 1).astype(float)
    answers = _ranks_to_answers(v2, ranks)
    self_items = _likert_items(v2, validity=False)
    lowered = np.argsort(rng.random((n, len(self_items))), axis=1)[:, :2]
    for r in range(n):
        a = answers[r]
        for j, it in enumerate(self_items):
            top = 1 if it.reverse else it.points
            a[it.key] = (4 if not it.reverse else 2) if j in lowered[r] else top
        for it in v2.iter_items():
            if it.type == "likert" and it.attention is not None:
                a[it.key] = int(it.attention)
            elif it.type == "likert" and it.key not in a:
                a[it.key] = it.points  # unlikely virtues: agree strongly
            elif it.type == "effectiveness":
                a[it.key] = {o.key: it.points for o in it.options}
            elif it.type == "familiarity":
                a[it.key] = 6
            elif it.type == "checklist":
                a[it.key] = [o.key for o in it.options if not o.exclusive]
    return answers


@pytest.fixture(scope="module")
def honest_scored(v2):
    answers, eta, traits = honest(v2, N_HONEST, seed=20261202)
    return score_assessment(v2, answers), eta, traits, answers


@pytest.fixture(scope="module")
def faker_scored(v2):
    return score_assessment(v2, faker(v2, N_FAKERS, seed=7))


# -- the key and the answers matrix -----------------------------------------------------

V1_COLUMNS_SHA256 = "7aab0e8777a5485ca4bc346486b847cfebbff321a2c613f8e59de06873bb3580"
V1_HAND_POMP = {
    "empathy": 46.875,
    "service": 29.411764705882355,
    "advocacy_fiscal": 37.83783783783784,
    "metrics": 55.0,
    "technology": 54.54545454545455,
    "influence": 50.0,
    "collaboration": 47.36842105263158,
    "rallying": 42.85714285714286,
    "foresight": 48.484848484848484,
    "business_acumen": 42.10526315789474,
    "pragmatism": 46.51162790697675,
    "action": 45.23809523809524,
    "change_leadership": 48.387096774193544,
    "curiosity": 70.37037037037037,
    "experience": 32.0,
}


def test_v1_key_and_scores_are_unchanged():
    """v1 compiles to the same 112 columns and scores a hand-built answer set as before v2."""
    import hashlib

    v1 = questionnaires.load("cco_candidate", 1)
    key = compile_key(v1)
    assert key.n_columns == 112
    assert hashlib.sha256("\n".join(key.columns).encode()).hexdigest() == V1_COLUMNS_SHA256
    assert key.separate_items == ()
    answers: dict[str, object] = {}
    for n, it in enumerate(v1.iter_items()):
        if it.type == "likert":
            answers[it.key] = n % it.points + 1
        elif it.type == "situational":
            answers[it.key] = it.options[n % len(it.options)].key
        elif it.type == "checklist":
            answers[it.key] = [o.key for o in it.options[:3]]
    s = score_scales(key, answers_to_matrix(key, [answers]))
    got = dict(zip(s.scales, s.pomp[0].tolist(), strict=True))
    assert got == pytest.approx(V1_HAND_POMP, rel=1e-12, abs=1e-12)
    with pytest.raises(ScoringError, match="use score_scales for instruments without blocks"):
        score_assessment(v1, [answers])


def test_v2_key_gives_the_new_item_types_no_columns(v2):
    key = compile_key(v2)
    separate = tuple(
        it.key
        for it in v2.iter_items()
        if it.type in ("forced_choice", "effectiveness", "familiarity")
    )
    assert key.separate_items == separate and len(separate) == 42 + 8 + 18
    assert not any(c.split(":")[0] in separate for c in key.columns)
    assert key.n_columns == 12 + 5 + 12 + 2  # self-ratings, virtues, checklist, attention
    honest_answers, _, _ = honest(v2, 5, seed=1)
    stripped = [{k: v for k, v in a.items() if k not in separate} for a in honest_answers]
    np.testing.assert_array_equal(
        answers_to_matrix(key, honest_answers), answers_to_matrix(key, stripped)
    )


# -- adapters -------------------------------------------------------------------------


def test_design_of_uses_the_shipped_statements(v2):
    design, traits, items = thurstonian.design_of(v2)
    assert traits == tuple(s for s in v2.competency_keys if s != "experience")
    assert items == tuple(f"fc_{j:02d}" for j in range(1, 43))
    statements = [
        st for it in v2.iter_items() if it.type == "forced_choice" for st in it.statements
    ]
    np.testing.assert_allclose(design.intercept, [(st.desirability - 5) / 2 for st in statements])
    np.testing.assert_allclose(design.loading, [-0.8 if st.reverse else 0.8 for st in statements])
    assert [traits[t] for t in design.trait] == [st.scale for st in statements]
    np.testing.assert_array_equal(design.blocks, np.arange(126).reshape(42, 3))


def test_ranks_of_reads_most_and_least_and_drops_invalid_blocks(v2):
    answers = [
        {"fc_01": ["chg_09", "act_05"]},
        {"fc_01": ["act_05", "act_05"]},  # repeated
        {"fc_01": ["act_05", "nope"]},  # unknown
        {"fc_01": ["act_05"]},  # too short
        {"fc_01": "act_05"},  # not a list
        {"fc_01": None},
    ]
    ranks = thurstonian.ranks_of(v2, answers)
    assert ranks.shape == (6, 42, 3)
    np.testing.assert_array_equal(ranks[0, 0], [3.0, 2.0, 1.0])
    assert np.isnan(ranks[1:, 0]).all() and np.isnan(ranks[:, 1:]).all()


def test_responses_of_checks_ratings(v2):
    key = key_of(v2)
    # every situation measures two scales, situation 6 three (curiosity too)
    assert len(key.options) == (7 * 2 + 3) * 4
    r = effectiveness_responses(v2, [{"sit_01": {"a": 2, "b": 6}}])
    cols = [c for c, (item, _) in enumerate(key.options) if item == "sit_01"]
    assert np.isnan(np.delete(r[0], cols)).all()
    np.testing.assert_array_equal(r[0, cols], [2, 6, np.nan, np.nan] * 2)
    for bad, message in (
        ({"z": 3}, "no option 'z'"),
        ({"a": 7}, "not a whole 1..6"),
        ({"a": 2.5}, "not a whole 1..6"),
        ({"a": True}, "not a whole 1..6"),
        ([3, 3], "not a mapping"),
    ):
        with pytest.raises(ScoringError, match=message):
            effectiveness_responses(v2, [{"sit_01": bad}])


def effectiveness_responses(v2, answers):
    from scoring.effectiveness import responses_of

    return responses_of(v2, answers)


# -- the app's rows -------------------------------------------------------------------


def test_rows_have_the_stored_shape(v2, honest_scored):
    scores = honest_scored[0]
    row = scores.row(0)
    assert tuple(row) == v2.competency_keys  # validity scales are not competencies
    emp = row["empathy"]
    assert set(emp) == {"raw", "mean", "pomp", "answered", "n_items", "insufficient", "se",
                        "sources"}  # fmt: skip
    assert emp["raw"] is None and emp["mean"] is None and emp["insufficient"] is False
    assert emp["n_items"] == 9 + 1 + 1 and emp["answered"] == 11  # blocks, self-rating, situation
    assert set(emp["sources"]) == {"blocks", "ratings", "situations"}
    assert set(row["curiosity"]["sources"]) == {"blocks", "ratings", "situations"}
    assert set(row["experience"]["sources"]) == {"checklist"}
    w = {"blocks": 0.6, "ratings": 0.15, "situations": 0.25}
    assert emp["pomp"] == pytest.approx(sum(w[s] * v for s, v in emp["sources"].items()))
    j = scores.column("empathy")
    blocks_se = scores.source_se["blocks"][0, j]
    sem = DEFAULT_SOURCE_SEM
    se = np.sqrt((0.6 * blocks_se) ** 2 + (0.15 * sem) ** 2 + (0.25 * sem) ** 2)
    assert emp["se"] == pytest.approx(se)
    q = scores.quality_row(0)
    assert set(q) == {"flagged", "reasons", "indices", "attention_failed", "n_attention",
                      "longest_run"}  # fmt: skip
    assert set(q["indices"]) == {"overclaiming", "unlikely_virtues", "elevation"}
    assert q["indices"]["overclaiming"]["cutoff"] == 0.5
    assert q["indices"]["unlikely_virtues"]["cutoff"] == 0.75
    assert q["indices"]["elevation"]["cutoff"] == 0.9
    assert q["n_attention"] == 2 and q["attention_failed"] == 0


def test_missing_sources_and_insufficient_rows(v2):
    full = honest(v2, 1, seed=3)[0][0]
    only_blocks = {k: v for k, v in full.items() if k.startswith("fc_")}
    few_blocks = {k: v for k, v in full.items() if not k.startswith("fc_")}
    few_blocks["fc_04"] = full["fc_04"]  # one of empathy's nine blocks
    s = score_assessment(v2, [only_blocks, few_blocks, {}])
    r0, r1, r2 = s.row(0), s.row(1), s.row(2)
    # blocks alone carry 0.6 of empathy's weight (>= 0.5): scored, re-normalised
    assert r0["empathy"]["pomp"] == pytest.approx(r0["empathy"]["sources"]["blocks"])
    assert r0["empathy"]["se"] == pytest.approx(s.source_se["blocks"][0, 0])
    assert r0["experience"]["insufficient"] and r0["experience"]["pomp"] is None
    # 1 of 9 blocks is under MIN_BLOCK_SHARE: no blocks score, 0.4 of the weight left
    assert r1["empathy"]["sources"]["blocks"] is None and r1["empathy"]["insufficient"]
    assert r1["empathy"]["answered"] == 1 + 1 + 1
    assert all(v["insufficient"] and v["pomp"] is None for v in r2.values())
    q = s.quality_row(2)
    assert not q["flagged"] and q["indices"]["overclaiming"]["value"] is None


def test_a_flagged_row_names_index_value_and_cutoff(v2, faker_scored):
    q = faker_scored.quality_row(0)
    assert q["flagged"]
    text = " ".join(q["reasons"])
    assert "Overclaiming" in text and "false-alarm rate 1.00" in text and "0.50" in text
    assert "Unlikely virtues" in text and "mean agreement 1.00" in text and "0.75" in text
    assert "Profile elevation" in text and "above 0.90" in text
    assert q["indices"]["overclaiming"] == {"value": 1.0, "flagged": True, "cutoff": 0.5}


# -- recovery, faking, situations -------------------------------------------------------


def test_trait_recovery_with_the_shipped_design(honest_scored):
    """Blocks source vs true trait, 2,000 simulated candidates, shipped parameters.

    Measured (seed 20261202): r = .90-.91 on every competency, 90 % intervals
    cover 85.4-87.9 % (ten thousand respondents: 86.6-87.3 %, the local-dependence
    shortfall documented in thurstonian.py).
    """
    scores, eta, traits, _ = honest_scored
    for k, trait in enumerate(traits):
        j = scores.column(trait)
        est = scores.source_score["blocks"][:, j]
        se = scores.source_se["blocks"][:, j]
        truth = np.clip(50 + 15 * eta[:, k], 0, 100)
        r = np.corrcoef(truth, est)[0, 1]
        cover = np.mean(np.abs(est - truth) <= 1.645 * se)
        assert r >= 0.70, (trait, r)
        assert 0.85 <= cover <= 0.95, (trait, cover)


def test_honest_candidates_are_rarely_flagged(honest_scored):
    scores = honest_scored[0]
    assert scores.flagged.mean() <= 0.05
    for ev in (scores.overclaiming, scores.unlikely_virtues, scores.elevation):
        assert ev.evaluable.all() and ev.flagged.mean() <= 0.05
    assert scores.quality.flagged.mean() <= 0.05
    assert 0.65 <= np.mean(scores.elevation.value) <= 0.75  # the calibration behind 0.9


def test_the_desirable_everywhere_responder_is_always_flagged(faker_scored):
    assert faker_scored.flagged.all()
    assert faker_scored.overclaiming.flagged.all()
    assert faker_scored.unlikely_virtues.flagged.all()
    assert faker_scored.elevation.flagged.all()


@pytest.mark.parametrize(
    "scale",
    [
        "empathy", "service", "advocacy_fiscal", "metrics", "technology", "influence",
        "collaboration", "rallying", "foresight", "business_acumen", "pragmatism", "action",
        # curiosity passes since situation 6 measures it too: with blocks and its
        # self-rating alone the faker averaged about 69 against an honest median of 54 + 5
        "change_leadership", "curiosity",
    ],
)  # fmt: skip
def test_faker_scores_no_higher_than_the_median_honest_candidate(
    scale, honest_scored, faker_scored
):
    """Mean over 200 faker runs (they differ only in tie-breaks and two self-ratings)
    ≤ honest median + the faker's SE, on every competency measured by blocks."""
    h, f = honest_scored[0], faker_scored
    j = h.column(scale)
    assert f.score[:, j].mean() <= np.median(h.score[:, j]) + f.se[:, j].mean()


def test_the_checklist_alone_cannot_resist_ticking_everything(honest_scored, faker_scored):
    """Experience is measured by the checklist only: ticking everything earns 100
    (honest median 36); the interview must verify it.  Pinned so a change is noticed."""
    j = faker_scored.column("experience")
    assert (faker_scored.score[:, j] == 100.0).all()
    assert np.median(honest_scored[0].score[:, j]) < 50


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_faker_fit_is_no_higher_than_the_median_honest_fit(archetype, honest_scored, faker_scored):
    h, f = honest_scored[0], faker_scored
    profile = default_profile(archetype)
    hf = compute_fit(h.score, h.scales, profile, sem=h.se)
    ff = compute_fit(f.score, f.scales, profile, sem=f.se)
    assert ff.fit.mean() <= np.median(hf.fit) + ff.fit_se.mean()


def test_moving_a_situation_rating_away_from_the_key_never_raises_a_score(v2, honest_scored):
    """Every effectiveness item and option of v2: all ratings, one respondent each, one call."""
    base = dict(honest_scored[3][0])
    for it in v2.iter_items():  # the base rates every option at its (rounded) key
        if it.type == "effectiveness":
            base[it.key] = {o.key: int(np.clip(round(o.effectiveness), 1, 6)) for o in it.options}
    variants, where = [base], []
    for it in v2.iter_items():
        if it.type != "effectiveness":
            continue
        for o in it.options:
            for rating in range(1, it.points + 1):
                a = dict(base)
                a[it.key] = {**base[it.key], o.key: rating}
                variants.append(a)
                where.append((it, o, rating))
    s = score_assessment(v2, variants)
    for n, (it, o, rating) in enumerate(where, start=1):
        cols = [s.column(sc) for sc in it.scales]
        others = [j for j in range(len(s.scales)) if j not in cols]
        np.testing.assert_allclose(s.score[n, others], s.score[0, others], rtol=0, atol=1e-9)
        # further from the key on the same side never scores higher than nearer
        for m, (it2, o2, r2) in enumerate(where, start=1):
            d_new, d_old = rating - o.effectiveness, r2 - o.effectiveness
            if it2 is it and o2 is o and abs(d_old) < abs(d_new) and d_old * d_new >= 0:
                assert (s.score[n, cols] <= s.score[m, cols] + 1e-9).all(), (it.key, o.key)
        assert (s.score[n, cols] <= s.score[0, cols] + 1e-9).all(), (it.key, o.key, rating)
