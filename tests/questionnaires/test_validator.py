# ruff: noqa: E501  (the expectation table quotes whole problem lines)
"""The strict validator, against a corpus of broken definitions.

Each file in ``broken/`` has one kind of mistake (``several_problems.yaml``
several at once); the table pins the exact message, line, column and path
of every problem, so a change in wording or location is a visible decision.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import questionnaires as q
from questionnaires.problems import Problem, ValidationError, format_path
from questionnaires.source import MAX_BYTES, MAX_DEPTH

BROKEN = Path(__file__).parent / "broken"

EXPECTED: dict[str, list[str]] = {
    "archetypes.yaml": [
        "archetypes.yaml:22:80: sections[0].items[2].options[0].archetypes.operating_exec: unknown archetype 'operating_exec' (did you mean 'operating_executive'?); expected one of board_strategist, operating_executive, influence_leader",
        "archetypes.yaml:23:73: sections[0].items[2].options[1].archetypes.influence_leader: score 12 is outside the sane range [-5, 5]",
    ],
    "attention.yaml": [
        "attention.yaml:18:77: sections[0].items[2].attention.expected: expected answer must be an integer from 1 to 5, got 9",
        "attention.yaml:19:48: sections[0].items[3].attention: attention checks are only supported on likert, choice, situational items",
        "attention.yaml:20:66: sections[0].items[4].attention.expect: unknown key 'expect' (did you mean 'expected'?)",
    ],
    "bad_audience.yaml": [
        "bad_audience.yaml:4:11: audience: unknown audience 'candidates' (did you mean 'candidate'?); expected one of candidate, board, respondent, interviewer",
    ],
    "binary.yaml": [
        "binary.yaml:3:10: binary file (contains NUL bytes)",
    ],
    "condition_values.yaml": [
        "condition_values.yaml:24:70: sections[0].items[3].show_if.equals: show_if value 'b2bb' is not an option of item 'q3' (did you mean 'b2b'?)",
        "condition_values.yaml:25:70: sections[0].items[4].show_if.in[1]: show_if value must be an integer from 1 to 5, got 6",
        "condition_values.yaml:26:52: sections[0].items[5].show_if: show_if needs exactly one of 'equals' or 'in'",
        "condition_values.yaml:27:52: sections[0].items[6].show_if: show_if needs exactly one of 'equals' or 'in'",
    ],
    "dont_know.yaml": [
        "dont_know.yaml:16:33: sections[0].items[1].dont_know: item 'q2': 'dont_know' is only allowed on likert items, not on a choice item (a \"don't know\" must be missing for the score, which a chosen option, a tick or a number cannot be)",
        "dont_know.yaml:17:64: sections[0].items[2].dont_know: expected true or false, got string",
        "dont_know.yaml:18:33: sections[0].items[3].dont_know: item 'q4': an attention check cannot offer \"don't know\" (it has one expected answer)",
        "dont_know.yaml:19:51: sections[0].items[4].dont_know: item 'q5': 'dont_know' is only allowed on likert items, not on a numeric item (a \"don't know\" must be missing for the score, which a chosen option, a tick or a number cannot be)",
    ],
    "duplicate_item_key.yaml": [
        "duplicate_item_key.yaml:21:15: sections[1].items[0].key: duplicate item key 'q1' (first used at line 16)",
    ],
    "duplicate_option_key.yaml": [
        "duplicate_option_key.yaml:24:19: sections[0].items[2].options[2].key: duplicate option key 'b2c' (first used at line 22)",
    ],
    "duplicate_scale_key.yaml": [
        "duplicate_scale_key.yaml:12:11: scales[2].key: duplicate scale key 'empathy' (first used at line 10)",
    ],
    "duplicate_section_key.yaml": [
        "duplicate_section_key.yaml:18:10: sections[1].key: duplicate section key 'main' (first used at line 13)",
    ],
    "duplicate_yaml_key.yaml": [
        "duplicate_yaml_key.yaml:6:1: title: duplicate key 'title' (first defined at line 3)",
    ],
    "empty.yaml": [
        "empty.yaml:1:1: file is empty",
    ],
    "empty_section.yaml": [
        "empty_section.yaml:20:12: sections[1].items: must not be empty",
    ],
    "flow_comma.yaml": [
        "flow_comma.yaml:22:39: sections[0].items[2].options[0].marketing or digital: unknown key 'marketing or digital' (an unquoted comma inside {...}? quote the text)",
    ],
    "foreign_key.yaml": [
        "foreign_key.yaml:22:9: sections[0].items[2].scenario: item 'q3': key 'scenario' is not allowed on likert items; allowed: key, type, text, scale, required, help, show_if, attention, segment, reverse, points, labels, dont_know",
        "foreign_key.yaml:27:41: sections[0].items[3].options[0].points: key 'points' is not allowed on options of choice items",
    ],
    "forward_condition.yaml": [
        "forward_condition.yaml:21:25: sections[0].items[2].show_if.item: show_if refers to item 'q4', which comes later; conditions may only refer to earlier items",
    ],
    "invalid_keys.yaml": [
        "invalid_keys.yaml:1:6: key: invalid key 'Mini': use lower-case letters, digits and underscores, starting with a letter",
        "invalid_keys.yaml:13:10: sections[0].key: invalid key '2main': use lower-case letters, digits and underscores, starting with a letter",
        "invalid_keys.yaml:17:15: sections[0].items[1].key: invalid key 'Q 2': use lower-case letters, digits and underscores, starting with a letter",
    ],
    "likert_labels.yaml": [
        "likert_labels.yaml:18:71: sections[0].items[2].points: points must be 2 to 11, got 12",
        "likert_labels.yaml:19:72: sections[0].items[3].labels: expected 5 labels (one per point), got 4",
        "likert_labels.yaml:19:73: sections[0].items[3].labels[0]: expected a string, got boolean (quote it)",
        "likert_labels.yaml:19:84: sections[0].items[3].labels[2]: expected a string, got boolean (quote it)",
        "likert_labels.yaml:20:9: sections[0].items[4]: no labels for a 7-point likert item: give 'labels' or likert_labels.7",
        "likert_labels.yaml:21:72: sections[0].items[5].points: points must be 2 to 11, got 1",
    ],
    "likert_without_scale.yaml": [
        "likert_without_scale.yaml:18:9: sections[0].items[2]: missing required key 'scale'",
    ],
    "misnamed/mini/version1.yaml": [
        "misnamed/mini/version1.yaml:2:10: version: version 1 does not match the file name 'version1.yaml' (expected 'v1.yaml')",
    ],
    "misnamed/mini_v2/v2.yaml": [
        "misnamed/mini_v2/v2.yaml:1:6: key: key 'mini' does not match the folder name 'mini_v2'",
        "misnamed/mini_v2/v2.yaml:2:10: version: version 1 does not match the file name 'v2.yaml' (expected 'v1.yaml')",
    ],
    "missing_keys.yaml": [
        "missing_keys.yaml:1:1: missing required key 'intro'",
        "missing_keys.yaml:1:1: missing required key 'minutes'",
        "missing_keys.yaml:1:1: missing required key 'title'",
        "missing_keys.yaml:7:5: sections[0]: missing required key 'title'",
        "missing_keys.yaml:10:9: sections[0].items[1]: missing required key 'key'",
        "missing_keys.yaml:10:9: sections[0].items[1]: missing required key 'text'",
    ],
    "multi_document.yaml": [
        "multi_document.yaml:18:1: YAML syntax error: found another document (expected a single document in the stream at line 1)",
    ],
    "no_sections.yaml": [
        "no_sections.yaml:10:11: sections: must not be empty",
    ],
    "not_mapping.yaml": [
        "not_mapping.yaml:1:1: the top level must be a mapping, got list",
    ],
    "not_utf8.yaml": [
        "not_utf8.yaml:3:11: not valid UTF-8 (byte 0xe9)",
    ],
    "numeric_range.yaml": [
        "numeric_range.yaml:18:65: sections[0].items[2].max: max (5) must be greater than min (10)",
    ],
    "option_without_text.yaml": [
        "option_without_text.yaml:22:13: sections[0].items[2].options[0]: missing required key 'text'",
        "option_without_text.yaml:23:30: sections[0].items[2].options[1].text: must not be empty",
    ],
    "rating_anchors.yaml": [
        "rating_anchors.yaml:23:11: sections[0].items[2].anchors: missing anchor for level 3",
        "rating_anchors.yaml:27:11: sections[0].items[2].anchors.6: anchor levels must be 1 to 5, got 6",
        "rating_anchors.yaml:28:20: sections[0].items[2].questions: must not be empty",
    ],
    "section_condition_same_section.yaml": [
        "section_condition_same_section.yaml:20:21: sections[1].show_if.item: a section's show_if must refer to an item in an earlier section; 'q3' is in this section",
    ],
    "segment.yaml": [
        "segment.yaml:20:9: sections[0].items[2].segment: segment questions are only allowed in instruments for audience 'respondent'",
        "segment.yaml:27:9: sections[0].items[3].segment: segment is only allowed on choice items",
    ],
    "segment_respondent.yaml": [
        "segment_respondent.yaml:20:18: sections[0].items[2].segment: unknown segment 'levels' (did you mean 'level'?); expected one of level, department, region",
        "segment_respondent.yaml:34:18: sections[0].items[4].segment: duplicate segment 'region' (first used at line 27)",
    ],
    "self_condition.yaml": [
        "self_condition.yaml:22:25: sections[0].items[2].show_if.item: show_if refers to the item itself ('q3')",
    ],
    "several_problems.yaml": [
        "several_problems.yaml:2:10: version: must be at least 1, got 0",
        "several_problems.yaml:9:11: scales[1].key: duplicate scale key 'empathy' (first used at line 8)",
        "several_problems.yaml:14:9: sections[0].items[0]: no labels for a 5-point likert item: give 'labels' or likert_labels.5",
        "several_problems.yaml:15:40: sections[0].items[1].scale: unknown scale 'metrics'",
        "several_problems.yaml:16:31: sections[0].items[2].txt: item 'q3': unknown key 'txt' for type text (did you mean 'text'?); allowed: key, type, text, required, help, show_if, attention, segment",
        "several_problems.yaml:22:11: sections[0].items[3].options: situational items need 3 to 5 options, got 1",
        "several_problems.yaml:25:12: sections[1].items: must not be empty",
    ],
    "situational_options.yaml": [
        "situational_options.yaml:23:11: sections[0].items[2].options: situational items need 3 to 5 options, got 2",
        "situational_options.yaml:24:70: sections[0].items[2].options[1].scores.metrics: score 9 is outside the sane range [-5, 5]",
        "situational_options.yaml:30:53: sections[0].items[3].options[0].scores: a situational option scores 1 to 3 scales, got 0",
        "situational_options.yaml:31:47: sections[0].items[3].options[1].scores: a situational option scores 1 to 3 scales, got 4",
        "situational_options.yaml:31:72: sections[0].items[3].options[1].scores.service: unknown scale 'service'",
        "situational_options.yaml:31:84: sections[0].items[3].options[1].scores.other: unknown scale 'other'",
    ],
    "syntax_error.yaml": [
        "syntax_error.yaml:15:4: YAML syntax error: expected <block end>, but found '<block mapping start>' (while parsing a block collection at line 13)",
    ],
    "unknown_cluster.yaml": [
        "unknown_cluster.yaml:13:72: scales[1].cluster: unknown cluster 'insight' (did you mean 'insights'?)",
    ],
    "unknown_condition_item.yaml": [
        "unknown_condition_item.yaml:20:21: sections[1].show_if.item: show_if refers to unknown item 'q9'",
        "unknown_condition_item.yaml:22:58: sections[1].items[0].show_if.item: show_if refers to unknown item 'q' (did you mean 'q3'?)",
    ],
    "unknown_key.yaml": [
        "unknown_key.yaml:18:33: sections[0].items[2].scael: item 'q3': unknown key 'scael' for type likert (did you mean 'scale'?); allowed: key, type, text, scale, required, help, show_if, attention, segment, reverse, points, labels, dont_know",
    ],
    "unknown_scale.yaml": [
        "unknown_scale.yaml:18:40: sections[0].items[2].scale: unknown scale 'empathie' (did you mean 'empathy'?)",
    ],
    "unknown_top_key.yaml": [
        "unknown_top_key.yaml:3:1: titel: unknown key 'titel' (did you mean 'title'?)",
        "unknown_top_key.yaml:18:1: extra: unknown key 'extra'",
    ],
    "unknown_type.yaml": [
        "unknown_type.yaml:18:25: sections[0].items[2].type: unknown item type 'likret' (did you mean 'likert'?); expected one of likert, situational, choice, multi, checklist, numeric, text, rating, forced_choice, effectiveness, familiarity",
    ],
    "unused_scale_cluster.yaml": [
        "unused_scale_cluster.yaml:10:11: clusters[0].key: cluster 'insight' has no scales",
        "unused_scale_cluster.yaml:14:11: scales[2].key: scale 'service' is not measured by any item",
    ],
    "wrong_types.yaml": [
        "wrong_types.yaml:2:10: version: expected an integer, got string",
        "wrong_types.yaml:3:8: title: expected a string, got integer (quote it)",
        "wrong_types.yaml:5:8: intro: expected a string, got list",
        "wrong_types.yaml:6:10: minutes: must be at least 1, got 0",
        "wrong_types.yaml:15:76: sections[0].items[0].required: expected true or false, got string",
        "wrong_types.yaml:15:92: sections[0].items[0].reverse: expected true or false, got integer",
        "wrong_types.yaml:16:52: sections[0].items[1].min: expected a number, got string",
    ],
    "block_design.yaml": [
        "block_design.yaml:15:11: scales[7].key: scale 'sh' shares forced-choice blocks with 2 other scales; at least 6 are needed",
        "block_design.yaml:16:11: scales[8].key: scale 'si' appears in 3 forced-choice statements; at least 6 are needed",
    ],
    "checklist_exclusive.yaml": [
        "checklist_exclusive.yaml:7:9: status: unknown status 'retired'; expected one of published, draft",
        "checklist_exclusive.yaml:10:9: label_sets.tiny: a label set needs 2 to 11 labels, got 1",
        "checklist_exclusive.yaml:18:52: sections[0].items[1].labels: unknown label set 'frequncy5' (did you mean 'frequency5'?)",
        "checklist_exclusive.yaml:19:63: sections[0].items[2].labels: label set 'frequency5' has 5 labels; a 7-point item needs 7",
        "checklist_exclusive.yaml:27:72: sections[0].items[3].options[2].exclusive: only one option of a checklist may be exclusive (first at line 26)",
        "checklist_exclusive.yaml:28:61: sections[0].items[3].options[3].exclusive: expected true or false, got string",
        "checklist_exclusive.yaml:29:78: sections[0].items[4].options[0].exclusive: key 'exclusive' is not allowed on options of choice items",
    ],
    "effectiveness.yaml": [
        "effectiveness.yaml:13:11: scales[2].key: scale 'quality' is not measured by any item",
        "effectiveness.yaml:26:11: sections[0].items[0].options: the best-keyed option is option 1 in 5 of 5 effectiveness items (e1, e3, e6, e7, e8); at most 40% may share a position",
        "effectiveness.yaml:33:17: sections[0].items[1].points: an effectiveness item has 4 to 7 points, got 8",
        "effectiveness.yaml:45:17: sections[0].items[2].labels: effectiveness labels run from 'Very ineffective' to 'Very effective', got 'Poor' to 'Excellent'",
        "effectiveness.yaml:59:53: sections[0].items[3].options[0].effectiveness: effectiveness must be within 1 to 6 (the item's points), got 7",
        "effectiveness.yaml:60:13: sections[0].items[3].options[1]: missing required key 'rationale'",
        "effectiveness.yaml:70:11: sections[0].items[4].options: 2 options share the highest effectiveness 6; key one best option",
        "effectiveness.yaml:79:22: sections[0].items[5].scales[1]: scale 'quality' is a validity scale; expected a competency scale",
        "effectiveness.yaml:92:11: sections[0].items[6].options: the best-keyed option is also the longest in 2 of 5 effectiveness items (e7, e8); at most 33% may be",
    ],
    "familiarity.yaml": [
        "familiarity.yaml:11:11: scales[1].key: scale 'overclaiming' has 2 foil concepts; at least 3 are needed",
        "familiarity.yaml:24:45: sections[0].items[8].scale: scale 'sa' is a competency scale; expected a validity scale",
        "familiarity.yaml:24:55: sections[0].items[8].real: expected true or false, got string",
        "familiarity.yaml:25:80: sections[0].items[9].labels: label set 'agree5' has 5 labels; a 7-point item needs 7",
        "familiarity.yaml:26:105: sections[0].items[10].show_if.equals: show_if value must be an integer from 0 to 6, got 7",
    ],
    "forced_choice.yaml": [
        "forced_choice.yaml:8:11: scales[0].key: scale 'sa' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:9:11: scales[1].key: scale 'sb' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:10:11: scales[2].key: scale 'sc' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:11:11: scales[3].key: scale 'sd' appears in 3 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:12:11: scales[4].key: scale 'se' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:13:11: scales[5].key: scale 'sf' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:14:11: scales[6].key: scale 'sg' appears in 5 forced-choice statements; at least 6 are needed",
        "forced_choice.yaml:15:11: scales[7].key: scale 'quality' is not measured by any item",
        "forced_choice.yaml:24:11: sections[0].items[0].statements: desirability spread 1.5 (5 to 6.5) exceeds 1: match the statements of a block on desirability",
        "forced_choice.yaml:32:30: sections[0].items[1].statements[1].scale: scale 'sa' appears twice in this block (first at line 31); a block pairs three different scales",
        "forced_choice.yaml:40:19: sections[0].items[2].statements[2].key: duplicate statement key 'x0' (first used at line 38)",
        "forced_choice.yaml:45:11: sections[0].items[3].statements: a forced-choice block needs exactly 3 statements, got 2",
        "forced_choice.yaml:51:48: sections[0].items[4].statements[0].desirability: desirability must be within 1 to 9, got 10",
        "forced_choice.yaml:58:30: sections[0].items[5].statements[0].scale: scale 'quality' is a validity scale; expected a competency scale",
        "forced_choice.yaml:117:9: sections[0].items[14]: missing required key 'statements'",
        "forced_choice.yaml:117:56: sections[0].items[14].options: item 'fc_99': key 'options' is not allowed on forced_choice items; allowed: key, type, text, statements, required, help, show_if, attention, segment",
    ],
    "sources.yaml": [
        "sources.yaml:10:51: scales[0].sources: source weights must sum to 1, got 0.9",
        "sources.yaml:11:65: scales[1].sources.situations: scale 'sb' lists source 'situations', but no situations measure it",
        "sources.yaml:12:76: scales[2].sources.checklist: a source weight must be in (0, 1], got 0",
        "sources.yaml:13:65: scales[3].sources.essays: unknown source 'essays'; expected one of blocks, ratings, situations, checklist",
        "sources.yaml:14:51: scales[4].sources: scale 'se' is measured by ratings, but its sources do not list 'ratings'",
        "sources.yaml:17:84: scales[7].sources: a validity scale has no composite sources (it never enters fit)",
        "sources.yaml:18:58: scales[8].kind: unknown scale kind 'validiti' (did you mean 'validity'?); expected one of competency, validity",
    ],
    "yaml_features.yaml": [
        "yaml_features.yaml:3:8: title: unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'",
        "yaml_features.yaml:15:5: sections[0]: merge keys ('<<') are not supported",
    ],
}

NARRATIVES_EXPECTED = [
    "narratives/mini/narratives.yaml:3:36: bands[1].min: gap between band 'low' (max 40) and band 'mid' (min 45)",
    "narratives/mini/narratives.yaml:4:5: bands[2]: missing required key 'label'",
    "narratives/mini/narratives.yaml:4:22: bands[2].min: band 'high' overlaps band 'mid' (bands must be in ascending order without overlap)",
    "narratives/mini/narratives.yaml:6:3: scales: missing narratives for scale 'metrics'",
    "narratives/mini/narratives.yaml:7:5: scales.empathy: missing text for band 'high'",
    "narratives/mini/narratives.yaml:9:5: scales.empathy.hihg: unknown band 'hihg' (did you mean 'high'?)",
    "narratives/mini/narratives.yaml:10:3: scales.metric: unknown scale 'metric' of mini v1 (did you mean 'metrics'?)",
    "narratives/mini/narratives.yaml:12:10: actions: must not be empty",
]


def _relative(problems: list[Problem]) -> list[str]:
    prefix = str(BROKEN) + os.sep
    return [str(p).removeprefix(prefix).replace(os.sep, "/") for p in problems]


def test_corpus_is_complete() -> None:
    """Every broken file has expectations and vice versa; each fails in its own way."""
    on_disk = {
        p.relative_to(BROKEN).as_posix()
        for p in BROKEN.rglob("*.yaml")
        if p.relative_to(BROKEN).parts[0] != "narratives"
    }
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 25
    assert all(EXPECTED.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_definition(name: str) -> None:
    # Files under misnamed/ test the file-name rules; the rest are named for their mistake.
    problems = q.validate_file(BROKEN / name, check_name=name.startswith("misnamed/"))
    assert _relative(problems) == EXPECTED[name]
    with pytest.raises(ValidationError) as info:
        q.load_file(BROKEN / name, check_name=name.startswith("misnamed/"))
    assert info.value.problems == problems


def test_all_problems_are_reported_at_once() -> None:
    problems = q.validate_file(BROKEN / "several_problems.yaml", check_name=False)
    assert len(problems) == 7
    assert len({p.line for p in problems}) == 7
    assert problems == sorted(problems, key=lambda p: (p.line, p.column))


def test_broken_narratives() -> None:
    reports = q.validate_paths([BROKEN / "narratives"])
    assert [(Path(r.path).name, r.kind) for r in reports] == [
        ("v1.yaml", "instrument"),
        ("narratives.yaml", "narratives"),
    ]
    assert reports[0].ok
    assert _relative(reports[1].problems) == NARRATIVES_EXPECTED
    with pytest.raises(ValidationError):
        q.load_narratives("mini", root=BROKEN / "narratives")


def test_problem_str_and_path_format() -> None:
    assert format_path(("sections", 2, "items", 4, "options", 1, "scores", "empathy")) == (
        "sections[2].items[4].options[1].scores.empathy"
    )
    assert format_path(()) == ""
    assert str(Problem("a.yaml", 3, 5, "title", "bad")) == "a.yaml:3:5: title: bad"
    assert str(Problem("a.yaml", 1, 1, "", "file is empty")) == "a.yaml:1:1: file is empty"
    assert str(Problem("gone", 0, 0, "", "no such file")) == "gone: no such file"
    error = ValidationError([Problem("a.yaml", 1, 1, "", "x"), Problem("a.yaml", 2, 1, "", "y")])
    assert len(error.problems) == 2
    assert str(error) == "a.yaml:1:1: x\na.yaml:2:1: y"


def test_oversized_file(tmp_path: Path) -> None:
    big = tmp_path / "mini" / "v1.yaml"
    big.parent.mkdir()
    big.write_text("# " + "x" * MAX_BYTES + "\n")
    problems = q.validate_file(big)
    assert [str(p) for p in problems] == [
        f"{big}:1:1: file is too large ({MAX_BYTES + 3} bytes; the limit is 1 MiB)"
    ]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    problems = q.validate_file(path, check_name=False)
    assert [p.message for p in problems] == ["document expands to more than 200000 nodes (aliases)"]


def test_deep_nesting_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """100,000 nested lists: one located problem, not a RecursionError."""
    import io

    path = tmp_path / "deep.yaml"
    path.write_text("key: " + "[" * 100_000 + "]" * 100_000 + "\n")
    out = io.StringIO()
    assert q.main([path], out) == 1
    assert out.getvalue().splitlines() == [
        f"{path}:1:{5 + MAX_DEPTH}: YAML nested deeper than {MAX_DEPTH} levels"
    ]


def test_deep_mappings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join("  " * i + "a:\n" for i in range(MAX_DEPTH + 5)) + "  " * 60 + "b\n")
    problems = q.validate_file(path, check_name=False)
    assert [p.message for p in problems] == [f"YAML nested deeper than {MAX_DEPTH} levels"]


def test_depth_at_the_limit_is_not_a_depth_problem(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("key: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    problems = q.validate_file(path, check_name=False)
    assert not any("nested deeper" in p.message for p in problems)


def test_deep_nesting_through_aliases_is_refused(tmp_path: Path) -> None:
    """Each anchor nests the previous one 40 levels deeper: no plain nesting is too
    deep, but the document is, and it must not recurse without end."""
    lines = ["a0: &a0 " + "[" * 40 + "x" + "]" * 40]
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40)
    path = tmp_path / "alias-deep.yaml"
    path.write_text("\n".join(lines) + "\n")
    problems = q.validate_file(path, check_name=False)
    assert f"YAML nested deeper than {MAX_DEPTH} levels (aliases)" in {p.message for p in problems}


def test_assessor_validate_reports_deep_yaml_in_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from assessor.cli import validate_command

    path = tmp_path / "deep.yaml"
    path.write_text("[" * 5_000 + "]" * 5_000 + "\n")
    result = CliRunner().invoke(validate_command, [str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:1:{MAX_DEPTH + 1}: YAML nested deeper than {MAX_DEPTH} levels"
    ]


def _copy_mini(dest: Path, *, title: str = "Mini") -> Path:
    text = (BROKEN / "narratives" / "mini" / "v1.yaml").read_text()
    dest.mkdir(parents=True)
    path = dest / "v1.yaml"
    path.write_text(text.replace("title: Mini", f"title: {title}"))
    return path


def test_same_key_and_version_with_different_content(tmp_path: Path) -> None:
    first = _copy_mini(tmp_path / "a" / "mini")
    second = _copy_mini(tmp_path / "b" / "mini", title="Mini, edited")
    reports = q.validate_paths([tmp_path])
    assert [r.path for r in reports] == [str(first), str(second)]
    assert reports[0].ok
    assert [str(p) for p in reports[1].problems] == [
        f"{second}:2:10: version: mini v1 is also defined in {first} with different "
        "content; publish changes as a new version"
    ]
    out = _Out()
    assert q.main([tmp_path], out=out) == 1
    assert out.lines() == [str(reports[1].problems[0])]


def test_identical_copies_and_repeated_paths_are_fine(tmp_path: Path) -> None:
    first = _copy_mini(tmp_path / "a" / "mini")
    _copy_mini(tmp_path / "b" / "mini")
    reports = q.validate_paths([tmp_path, first, tmp_path / "a"])
    assert len(reports) == 2
    assert all(r.ok for r in reports)


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    reports = q.validate_paths([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert [str(p) for r in reports for p in r.problems] == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory",
        f"{tmp_path / 'empty'}: no definition files (v<N>.yaml, narratives.yaml) found",
    ]


def test_narratives_without_instrument(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    folder.mkdir()
    shutil.copy(BROKEN / "narratives" / "mini" / "narratives.yaml", folder)
    (report,) = q.validate_paths([folder / "narratives.yaml"])
    assert str(report.problems[0]) == (
        f"{folder / 'narratives.yaml'}: no instrument definition (v<N>.yaml) beside this "
        "narratives file"
    )


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass

    def lines(self) -> list[str]:
        return self.text.splitlines()


@pytest.mark.parametrize("key", sorted(q.available()))
def test_shipped_instruments_are_valid(key: str) -> None:
    """The instruments in the package must pass the validator, narratives included."""
    folder = q.ROOT / key
    problems = [str(p) for r in q.validate_paths([folder]) for p in r.problems]
    assert problems == []
