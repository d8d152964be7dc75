"""Loading definitions into the model: defaults, resolution, hashing, lookup, cache, CLI."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import questionnaires as q
from questionnaires.model import Anchor, Condition, Instrument, Item, Option, Scale, Section

#: Content hash of the published cco_candidate v1: stored answers record it, so it must not move.
V1_HASH = "8e312b8cd9579a14d89faab3e291a3211fbf26ebd1992e86a68a316601e9b15c"

MINIMAL = """\
key: demo
version: 1
title: Demo
audience: respondent
intro: A small survey.
minutes: 5
likert_labels:
  5: [Never, Rarely, Sometimes, Often, Always]
  7: [1, 2, 3, 4, 5, 6, 7]
clusters:
  - {key: focus, name: Focus, description: Customer focus.}
scales:
  - {key: empathy, name: Empathy, description: Relates to people., cluster: focus}
  - {key: metrics, name: Metrics, description: Uses measures.}
sections:
  - key: who
    title: About you
    items:
      - key: level
        type: choice
        segment: level
        text: Your level
        options:
          - {key: exec, text: Executive}
          - {key: staff, text: Staff}
  - key: views
    title: Your views
    intro: Say how often.
    show_if: {item: level, in: [exec, staff]}
    items:
      - {key: listen, type: likert, scale: empathy, text: We listen.}
      - key: figures
        type: likert
        scale: metrics
        reverse: true
        points: 7
        text: We ignore the figures.
        help: Think of the last month.
      - {key: check, type: likert, text: Choose Often., attention: {expected: 4}}
      - key: why
        type: text
        required: false
        text: Why do you say so
        show_if: {item: listen, equals: 1}
      - key: behaviour
        type: rating
        scale: empathy
        text: Empathy shown
        anchors: {5: Always, 1: Never, 3: Sometimes, 2: Rarely, 4: Often}
        questions: [Tell me about a customer you helped.]
      - key: tools
        type: checklist
        scale: metrics
        text: Tools you use
        options:
          - {key: nps, text: Net promoter score, points: 2}
          - {key: ces, text: Effort score, points: 1.5}
      - {key: size, type: numeric, text: Team size, min: 0, max: 500, unit: people}
"""


def write(root: Path, key: str, version: int, text: str) -> Path:
    path = root / key / f"v{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    q.clear_cache()


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """MINIMAL with quoted 7-point labels: a valid instrument."""
    text = MINIMAL.replace("[1, 2, 3, 4, 5, 6, 7]", "['1', '2', '3', '4', '5', '6', '7']")
    return write(tmp_path, "demo", 1, text)


def test_minimal_instrument_loads_into_the_model(minimal: Path) -> None:
    path = minimal
    inst = q.load_file(path)
    assert isinstance(inst, Instrument)
    assert (inst.key, inst.version, inst.audience, inst.minutes) == ("demo", 1, "respondent", 5)
    assert inst.source == str(path)
    assert inst.scales[0] == Scale("empathy", "Empathy", "Relates to people.", "focus")
    assert inst.scales[1].cluster is None
    assert inst.cluster_keys == ("focus",)
    assert [s.key for s in inst.sections] == ["who", "views"]
    views = inst.sections[1]
    assert isinstance(views, Section)
    assert views.intro == "Say how often."
    assert inst.sections[0].intro == ""
    assert views.condition == Condition("level", ("exec", "staff"))

    level = inst.item("level")
    assert level.segment == "level"
    assert level.options[0] == Option("exec", "Executive")
    assert not level.is_scored

    listen = inst.item("listen")
    assert listen == Item(
        key="listen",
        type="likert",
        text="We listen.",
        scale="empathy",
        points=5,
        labels=("Never", "Rarely", "Sometimes", "Often", "Always"),
    )
    assert listen.required and not listen.reverse and listen.is_scored

    figures = inst.item("figures")
    assert figures.reverse and figures.points == 7
    assert figures.labels == ("1", "2", "3", "4", "5", "6", "7")
    assert figures.help == "Think of the last month."

    check = inst.item("check")
    assert check.attention == "4" and check.scale is None and not check.is_scored

    why = inst.item("why")
    assert not why.required
    assert why.condition == Condition("listen", ("1",))

    behaviour = inst.item("behaviour")
    assert behaviour.points == 5
    assert behaviour.anchors == tuple(
        Anchor(level, text)
        for level, text in enumerate(["Never", "Rarely", "Sometimes", "Often", "Always"], 1)
    )
    assert behaviour.questions == ("Tell me about a customer you helped.",)

    tools = inst.item("tools")
    assert [o.points for o in tools.options] == [2.0, 1.5]
    assert tools.option("ces").text == "Effort score"

    size = inst.item("size")
    assert (size.minimum, size.maximum, size.unit) == (0.0, 500.0, "people")


def test_likert_labels_must_be_strings(tmp_path: Path) -> None:
    """Unquoted numbers as labels are a mistake the validator names (and says how to fix)."""
    path = write(tmp_path, "demo", 1, MINIMAL)
    problems = q.validate_file(path)
    assert [(p.path, p.message) for p in problems][:1] == [
        ("likert_labels.7[0]", "expected a string, got integer (quote it)")
    ]


def test_valid_minimal_has_no_problems(minimal: Path) -> None:
    assert q.validate_file(minimal) == []
    assert q.load_file(minimal).item("figures").labels == ("1", "2", "3", "4", "5", "6", "7")


def test_readme_example_is_valid(tmp_path: Path) -> None:
    readme = (q.ROOT / "README.md").read_text()
    block = re.search(r"### Complete example.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None
    inst = q.load_file(write(tmp_path, "demo", 1, block.group(1)))
    # The three anti-faking types need many items (block design minima); they are
    # shown as snippets in the README and used in full by cco_candidate v2.
    v2_types = {"forced_choice", "effectiveness", "familiarity"}
    assert {i.type for i in inst.items} == set(q.ITEM_TYPES) - v2_types
    v2 = q.load("cco_candidate", 2)
    assert {i.type for i in v2.items} >= v2_types


def test_content_hash_is_canonical_and_stable(minimal: Path, tmp_path: Path) -> None:
    inst = q.load_file(minimal)
    data = yaml.safe_load(minimal.read_text())
    canonical = json.dumps(
        {**data, "likert_labels": {str(k): v for k, v in data["likert_labels"].items()}},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert inst.content_hash == hashlib.sha256(canonical.encode()).hexdigest()

    # Comments, key order and flow/block style do not change the hash...
    reordered = "# a comment\n" + minimal.read_text().replace(
        "title: Demo\naudience: respondent\n", "audience: respondent\ntitle:   'Demo'\n"
    )
    other = write(tmp_path / "copy", "demo", 1, reordered)
    assert q.load_file(other).content_hash == inst.content_hash
    # ...any change of content does.
    changed = write(tmp_path / "changed", "demo", 1, reordered.replace("We listen.", "We hear."))
    assert q.load_file(changed).content_hash != inst.content_hash


def test_versions_latest_load_available(minimal: Path, tmp_path: Path) -> None:
    v2 = minimal.read_text().replace("version: 1", "version: 2").replace("Demo", "Demo two")
    write(tmp_path, "demo", 2, v2)
    write(
        tmp_path,
        "other",
        1,
        v2.replace("key: demo", "key: other").replace("version: 2", "version: 1"),
    )
    (tmp_path / "demo" / "notes.yaml").write_text("not a version\n")
    (tmp_path / "__pycache__").mkdir()

    assert q.versions("demo", root=tmp_path) == [1, 2]
    assert q.versions("missing", root=tmp_path) == []
    assert q.versions("../demo", root=tmp_path) == []
    assert q.available(root=tmp_path) == {"demo": [1, 2], "other": [1]}
    assert q.latest("demo", root=tmp_path).title == "Demo two"
    assert q.load("demo", root=tmp_path).version == 2
    assert q.load("demo", 1, root=tmp_path).title == "Demo"
    with pytest.raises(KeyError, match="unknown instrument 'missing'"):
        q.load("missing", root=tmp_path)
    with pytest.raises(KeyError, match="has no version 3"):
        q.load("demo", 3, root=tmp_path)


def test_shipped_instruments_are_found() -> None:
    found = q.available()
    assert set(found) >= {"cco_candidate", "readiness"}
    for key, numbers in found.items():
        assert q.versions(key) == numbers
        published = [n for n in numbers if not q.load(key, n).is_draft]
        assert q.latest(key).version == published[-1]
        assert q.latest(key, include_drafts=True).version == numbers[-1]


def test_latest_skips_drafts_until_published(minimal: Path, tmp_path: Path) -> None:
    """A draft version never becomes the one candidates are invited to; publishing
    it (dropping ``status: draft``) does not change its content hash."""
    v2 = minimal.read_text().replace("version: 1", "version: 2")
    write(tmp_path, "demo", 2, "status: draft\n" + v2)
    write(tmp_path, "demo", 1, minimal.read_text())
    assert q.latest("demo", root=tmp_path).version == 1
    assert q.load("demo", root=tmp_path).version == 1
    assert q.load("demo", 2, root=tmp_path).is_draft
    assert q.latest("demo", root=tmp_path, include_drafts=True).version == 2
    draft_hash = q.load("demo", 2, root=tmp_path).content_hash
    published = write(tmp_path / "pub", "demo", 2, v2)
    assert q.load_file(published).content_hash == draft_hash
    (tmp_path / "demo" / "v1.yaml").unlink()
    with pytest.raises(KeyError, match="only draft versions"):
        q.latest("demo", root=tmp_path)


def test_cco_candidate_invitations_stay_on_v1() -> None:
    """The app cannot render v2's item types yet: v2 is a draft, v1 keeps its hash."""
    assert q.latest("cco_candidate").version == 1
    assert q.load("cco_candidate", 2).status == "draft"
    assert q.load("cco_candidate", 1).content_hash == V1_HASH


def test_cache_reuses_parsed_instruments_until_the_file_changes(minimal: Path) -> None:
    first = q.load_file(minimal)
    assert q.load_file(minimal) is first
    assert q.load("demo", root=minimal.parent.parent) is first

    minimal.write_text(minimal.read_text().replace("title: Demo", "title: Demo edited"))
    stat = minimal.stat()
    os.utime(minimal, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = q.load_file(minimal)
    assert second is not first and second.title == "Demo edited"


def test_invalid_and_missing_files_raise_validation_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "demo", 1, "key: demo\nversion: 1\n")
    with pytest.raises(q.ValidationError) as info:
        q.load_file(bad)
    assert [p.message for p in info.value.problems] == [
        "missing required key 'audience'",
        "missing required key 'intro'",
        "missing required key 'minutes'",
        "missing required key 'scales'",
        "missing required key 'sections'",
        "missing required key 'title'",
    ]
    with pytest.raises(q.ValidationError, match="cannot read file"):
        q.load_file(tmp_path / "demo" / "v9.yaml")


NARRATIVES = """\
bands:
  - {key: low, label: Low, min: 0, max: 40}
  - {key: high, label: High, min: 40, max: 100}
scales:
  empathy: {low: Rarely relates., high: Relates well.}
  metrics: {low: Ignores figures., high: Lives by figures.}
actions:
  empathy: {low: [Shadow the contact centre.]}
"""


def test_load_narratives(minimal: Path) -> None:
    root = minimal.parent.parent
    assert q.load_narratives("demo", root=root) == {}
    (minimal.parent / "narratives.yaml").write_text(NARRATIVES)
    narr = q.load_narratives("demo", root=root)
    assert narr["scales"]["metrics"]["high"] == "Lives by figures."
    assert narr["actions"]["empathy"]["low"] == ["Shadow the contact centre."]
    narr["scales"].clear()  # callers get their own copy
    assert q.load_narratives("demo", root=root)["scales"]
    assert q.band_for(narr["bands"], 39.9)["key"] == "low"
    assert q.band_for(narr["bands"], 40)["key"] == "high"
    assert q.band_for(narr["bands"], 100)["key"] == "high"

    (minimal.parent / "narratives.yaml").write_text(NARRATIVES.replace("  metrics:", "  metric:"))
    with pytest.raises(q.ValidationError) as info:
        q.load_narratives("demo", root=root)
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("scales", "missing narratives for scale 'metrics'"),
        ("scales.metric", "unknown scale 'metric' of demo v1 (did you mean 'metrics'?)"),
    ]


def test_band_for_inclusive_integer_bands() -> None:
    bands = [{"key": "a", "min": 0, "max": 39}, {"key": "b", "min": 40, "max": 100}]
    assert [q.band_for(bands, s)["key"] for s in (0, 39, 39.5, 40, 100)] == list("aaabb")


def test_main_ok_prints_one_summary_per_file(
    minimal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (minimal.parent / "narratives.yaml").write_text(NARRATIVES)
    assert q.main([minimal.parent]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{minimal}: ok — demo v1, 2 scales, 2 sections, 8 items",
        f"{minimal.parent / 'narratives.yaml'}: ok — narratives for demo, 2 bands, 2 scales",
    ]


def test_main_prints_every_problem_and_fails(
    minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad", 1, MINIMAL.replace("key: demo", "key: bad"))
    assert q.main([minimal, bad, tmp_path / "gone.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}:9:7: likert_labels.7[0]: expected a string, got integer (quote it)",
        f"{bad}:9:10: likert_labels.7[1]: expected a string, got integer (quote it)",
        f"{bad}:9:13: likert_labels.7[2]: expected a string, got integer (quote it)",
        f"{bad}:9:16: likert_labels.7[3]: expected a string, got integer (quote it)",
        f"{bad}:9:19: likert_labels.7[4]: expected a string, got integer (quote it)",
        f"{bad}:9:22: likert_labels.7[5]: expected a string, got integer (quote it)",
        f"{bad}:9:25: likert_labels.7[6]: expected a string, got integer (quote it)",
        f"{tmp_path / 'gone.yaml'}: no such file or directory",
    ]


def test_python_dash_m(minimal: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "questionnaires", str(minimal)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(q.__file__).parent.parent,
    )
    assert (run.returncode, run.stdout.strip()) == (
        0,
        f"{minimal}: ok — demo v1, 2 scales, 2 sections, 8 items",
    )
