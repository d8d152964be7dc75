"""Every number the product computes, as pure numpy functions on arrays.

This package never imports Flask or SQLAlchemy; see scoring/README.md for
the formulas, their sources, the missing-data rule and the defaults.
"""

from scoring.agreement import ICCResult, icc1_icc2
from scoring.ahp import AHPResult, GroupAHPResult, analyse, best_revision, group_ahp
from scoring.assessment import AssessmentScores, score_assessment
from scoring.bands import Narrative, band_for, band_index, narrative
from scoring.composite import Composite, combine
from scoring.dif import MHResult, SelectionTest, mantel_haenszel_dif, selection_fisher
from scoring.disclosure import Disclosure, Plan, isolating_combination, plan_publication
from scoring.effectiveness import EffectivenessScores, score_effectiveness
from scoring.errors import ScoringError
from scoring.fairness import AdverseImpactResult, adverse_impact
from scoring.faking import (
    IndexEvidence,
    Overclaiming,
    overclaiming,
    profile_elevation,
    self_interview_discrepancy,
    unlikely_virtues,
)
from scoring.fit import FitResult, compute_fit
from scoring.key import ScoringKey, clear_key_cache, compile_key
from scoring.manual import Manual, technical_manual
from scoring.matrix import answers_to_matrix, check_matrix, matrix_to_answers, rows_to_matrix
from scoring.norms import NormScores, norm_scores, percentile_rank, sten_from_z
from scoring.profiles import RoleProfile, default_profile
from scoring.quality import QualityReport, longest_run, response_quality
from scoring.readiness import (
    ReadinessResult,
    aggregate_readiness,
    compare_rounds,
    published_sets,
)
from scoring.reliability import (
    CompositeBand,
    OmegaInterval,
    Reliability,
    ScoreBand,
    alpha_if_deleted,
    composite_band,
    corrected_item_total,
    cronbach_alpha,
    feldt_interval,
    mcdonald_omega,
    mosier_reliability,
    omega_from_cov,
    omega_interval,
    one_factor,
    pairwise_cov,
    pool_reliability,
    scale_reliability,
    score_band,
)
from scoring.rolescope import RoleScopeResult, score_role_scope
from scoring.scales import ScaleScores, item_pool, pomp, required_items, score_scales
from scoring.thurstonian import (
    ForcedChoiceDesign,
    ThurstonianScores,
    design_from_desirability,
)

__all__ = [
    "AHPResult",
    "AdverseImpactResult",
    "AssessmentScores",
    "Composite",
    "CompositeBand",
    "Disclosure",
    "EffectivenessScores",
    "FitResult",
    "ForcedChoiceDesign",
    "GroupAHPResult",
    "ICCResult",
    "IndexEvidence",
    "MHResult",
    "Manual",
    "Narrative",
    "NormScores",
    "OmegaInterval",
    "Overclaiming",
    "Plan",
    "QualityReport",
    "ReadinessResult",
    "Reliability",
    "RoleProfile",
    "RoleScopeResult",
    "ScaleScores",
    "ScoreBand",
    "ScoringError",
    "ScoringKey",
    "SelectionTest",
    "ThurstonianScores",
    "adverse_impact",
    "aggregate_readiness",
    "alpha_if_deleted",
    "analyse",
    "answers_to_matrix",
    "band_for",
    "band_index",
    "best_revision",
    "check_matrix",
    "clear_key_cache",
    "combine",
    "compare_rounds",
    "compile_key",
    "composite_band",
    "compute_fit",
    "corrected_item_total",
    "cronbach_alpha",
    "default_profile",
    "design_from_desirability",
    "feldt_interval",
    "group_ahp",
    "icc1_icc2",
    "isolating_combination",
    "item_pool",
    "longest_run",
    "mantel_haenszel_dif",
    "matrix_to_answers",
    "mcdonald_omega",
    "mosier_reliability",
    "narrative",
    "norm_scores",
    "omega_from_cov",
    "omega_interval",
    "one_factor",
    "overclaiming",
    "pairwise_cov",
    "percentile_rank",
    "plan_publication",
    "pomp",
    "pool_reliability",
    "profile_elevation",
    "published_sets",
    "required_items",
    "response_quality",
    "rows_to_matrix",
    "scale_reliability",
    "score_assessment",
    "score_band",
    "score_effectiveness",
    "score_role_scope",
    "score_scales",
    "selection_fisher",
    "self_interview_discrepancy",
    "sten_from_z",
    "technical_manual",
    "unlikely_virtues",
]
