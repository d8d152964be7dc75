"""Charts: the same Drawing renders to PDF and to CSP-safe, accessible inline SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Group, String

from assessor.reports.charts import (
    SERIES_COLOURS,
    competency_bars,
    heatmap,
    priority_bars,
    radar_chart,
    to_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
NASTY = "R&D <b>team</b>"
LABELS = [
    "Empathy",
    "Service mentality",
    NASTY,
    "Measures and analytics",
    "Influence",
    "Strategic foresight",
]


def strings(drawing: Drawing) -> list[str]:
    """Every text the drawing prints."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, String):
            out.append(node.text)
        elif isinstance(node, Group | Drawing):
            for child in node.contents:
                walk(child)

    walk(drawing)
    return out


def all_charts() -> dict[str, Drawing]:
    return {
        "radar": radar_chart(
            LABELS,
            [
                ("Ann <b>& Co</b>", [70, 55, 40, 90, 65, None], "#1F3A5F"),
                ("Role profile", [50, 55, 60, 55, 40, 45], SERIES_COLOURS[1]),
            ],
        ),
        "bars": competency_bars(
            [
                ("Empathy", 74, 66, 82, 50, "Strength"),
                (NASTY, 30, 22, 38, 55, "Development area"),
                ("Influence", None, None, None, None, ""),
            ]
        ),
        "priorities": priority_bars(["Customer focus", NASTY, "Strategy"], [0.5, 0.3, 0.2]),
        "heatmap": heatmap(
            [NASTY, "Common language"], ["Board", "Front line"], [[80, None], [55, 20]]
        ),
    }


@pytest.mark.parametrize("name", ["radar", "bars", "priorities", "heatmap"])
def test_svg_is_safe_to_inline_under_strict_csp(name):
    svg = to_svg(all_charts()[name])
    assert not svg.startswith("<?xml")
    assert "<!DOCTYPE" not in svg
    assert not re.search(r"\sstyle\s*=", svg), "style attributes need 'unsafe-inline'"
    assert "<style" not in svg
    assert "<script" not in svg.lower()
    assert not re.search(r"\son\w+\s*=", svg)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    # the label is escaped in the markup and reads back literally
    assert "R&amp;D &lt;b&gt;team&lt;/b&gt;" in svg
    assert "<b>" not in svg
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(t and NASTY in t for t in texts) or name == "radar"  # radar wraps labels
    # presentation attributes carry what the style attribute said
    assert root.find(f".//{SVG}text").get("font-family").startswith("Roboto")


def test_svg_ids_are_unique_per_chart_and_references_follow():
    charts = all_charts()
    first, second = to_svg(charts["radar"]), to_svg(charts["bars"])
    ids_first = set(re.findall(r'\sid="([^"]+)"', first))
    ids_second = set(re.findall(r'\sid="([^"]+)"', second))
    assert ids_first and not ids_first & ids_second
    for ref in re.findall(r"url\(#([^)]+)\)", first):
        assert ref in ids_first


def test_same_drawing_renders_to_pdf():
    for drawing in all_charts().values():
        assert renderPDF.drawToString(drawing).startswith(b"%PDF")


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_radar_overlays_several_series(count):
    series = [
        (f"Candidate {i}", [20 + 10 * i + k for k in range(len(LABELS))], SERIES_COLOURS[i])
        for i in range(count)
    ]
    drawing = radar_chart(LABELS, series, size=320)
    texts = strings(drawing)
    for name, _, _ in series:
        assert name in texts  # legend entry
    for ring in ("25", "50", "75", "100"):
        assert ring in texts
    assert drawing.width == 320
    svg = to_svg(drawing)
    assert "Candidate 0" in svg and f"Candidate {count - 1}" in svg


def test_radar_rejects_bad_input():
    with pytest.raises(ValueError, match="axes"):
        radar_chart(["a", "b"], [("x", [1, 2], "#000000")])
    with pytest.raises(ValueError, match="values"):
        radar_chart(LABELS, [("x", [1, 2, 3], "#000000")])
    with pytest.raises(ValueError, match="series"):
        radar_chart(LABELS, [])


def test_competency_bars_show_scores_bands_and_missing():
    drawing = all_charts()["bars"]
    texts = strings(drawing)
    assert {
        "74",
        "30",
        "Strength",
        "Development area",
        "not scored",
        "90% band",
        "Required minimum",
    } <= set(texts)
    svg = to_svg(drawing)
    desc = ET.fromstring(svg).find(f"{SVG}desc").text
    assert "Empathy: 74 (90% band 66–82), minimum 50, Strength" in desc


def test_priority_bars_print_percentages():
    drawing = all_charts()["priorities"]
    assert {"50.0%", "30.0%", "20.0%"} <= set(strings(drawing))
    with pytest.raises(ValueError):
        priority_bars(["a"], [0.5, 0.5])
    with pytest.raises(ValueError):
        priority_bars(["a", "b"], [-0.1, 1.1])


def test_heatmap_never_prints_a_suppressed_value():
    drawing = heatmap(
        ["A", "B"], ["Board", "Executives", "Front line"], [[81, None, 37], [None, None, 64]]
    )
    texts = strings(drawing)
    numbers = [t for t in texts if re.fullmatch(r"\d+(\.\d+)?", t)]
    # the three shown cells, plus the legend's 0 and 100 ends
    assert sorted(numbers) == sorted(["81", "37", "64", "0", "100"])
    assert texts.count("n<5") == 3
    desc = ET.fromstring(to_svg(drawing)).find(f"{SVG}desc").text
    assert desc.count("suppressed") == 3
    assert "Executives suppressed" in desc


def test_heatmap_all_suppressed_prints_no_value():
    drawing = heatmap(["A"], ["Board", "Front line"], [[None, None]])
    numbers = [
        t
        for t in strings(drawing)
        if re.search(r"\d", t) and t != "n<5" and not t.startswith("n<5:")
    ]
    assert sorted(numbers) == ["0", "100"]


def test_heatmap_rejects_ragged_values():
    with pytest.raises(ValueError):
        heatmap(["A"], ["x", "y"], [[1]])
    with pytest.raises(ValueError):
        heatmap(["A", "B"], ["x"], [[1]])


def test_the_chart_cache_is_bounded_in_bytes_and_keeps_one_entry_per_owner():
    from assessor.reports.charts import ChartCache

    cache = ChartCache(max_bytes=25)
    drawn: list[str] = []

    def draw(text: str):
        def make() -> tuple[str, ...]:
            drawn.append(text)
            return (text,)

        return make

    assert cache.get("a", 1, draw("a" * 10)) == ("a" * 10,)
    assert cache.get("a", 1, draw("never")) == ("a" * 10,)  # unchanged inputs: kept
    assert cache.get("a", 2, draw("A" * 10)) == ("A" * 10,)  # new inputs replace it
    assert (len(cache), cache.bytes) == (1, 10)
    cache.get("b", 1, draw("b" * 10))
    cache.get("c", 1, draw("c" * 10))  # 30 bytes > 25: the least recently used goes
    assert (len(cache), cache.bytes) == (2, 20)
    assert cache.get("a", 2, draw("A" * 10)) == ("A" * 10,) and drawn[-1] == "A" * 10
    assert drawn == ["a" * 10, "A" * 10, "b" * 10, "c" * 10, "A" * 10]
