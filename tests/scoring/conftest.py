"""Small in-memory instruments built with the model dataclasses (no YAML)."""

from __future__ import annotations

import numpy as np
import pytest

from questionnaires.model import Anchor, Instrument, Item, Option, Scale, Section
from scoring.key import ScoringKey, clear_key_cache, compile_key

LABELS5 = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")


def likert(key: str, scale: str | None, *, reverse: bool = False, points: int = 5, **kw) -> Item:
    labels = LABELS5 if points == 5 else tuple(str(i) for i in range(1, points + 1))
    return Item(
        key=key, type="likert", text=key, scale=scale, reverse=reverse, points=points,
        labels=labels, **kw,
    )  # fmt: skip


def option(key: str, **scores: float) -> Option:
    return Option(key=key, text=key, scores=dict(scores))


def instrument(
    *sections: tuple[Item, ...], scales: tuple[str, ...], key: str = "test", content_hash: str = ""
) -> Instrument:
    return Instrument(
        key=key,
        version=1,
        title=key,
        audience="candidate",
        intro="",
        minutes=5,
        scales=tuple(Scale(key=s, name=s.upper(), description="") for s in scales),
        clusters=(),
        sections=tuple(
            Section(key=f"p{n}", title=f"Page {n}", items=items) for n, items in enumerate(sections)
        ),
        content_hash=content_hash,
    )


def mini_instrument() -> Instrument:
    """Three scales touched by every item type.

    scale a: l1, l2 (reversed), l3, s1 (x=2, y=1), s2 (r=1)            -> 5 items
    scale b: l4 (7 points), l5 (7 points, reversed), s1 (y=1, z=2), m1  -> 4 items
    scale c: s2 (p=1, q=3), m1 (o3=-1), ck (1+2+1 points), r1           -> 4 items
    """
    page1 = (
        likert("l1", "a"),
        likert("l2", "a", reverse=True),
        likert("l3", "a"),
        likert("l4", "b", points=7),
        likert("l5", "b", points=7, reverse=True),
        likert("att", None, attention="4"),
        Item(key="seg", type="choice", text="level", segment="level",
             options=(Option("board", "Board"), Option("staff", "Staff"))),
        Item(key="txt", type="text", text="Anything else?", required=False),
    )  # fmt: skip
    page2 = (
        Item(key="s1", type="situational", text="s1", scenario="...",
             options=(option("x", a=2), option("y", a=1, b=1), option("z", b=2), option("w"))),
        Item(key="s2", type="situational", text="s2", scenario="...",
             options=(option("p", c=1), option("q", c=3), option("r", a=1, c=0))),
        Item(key="m1", type="multi", text="m1",
             options=(option("o1", b=1), option("o2", b=2), option("o3", c=-1))),
        Item(key="ck", type="checklist", text="ck", scale="c",
             options=(Option("e1", "e1", points=1), Option("e2", "e2", points=2),
                      Option("e3", "e3"))),
        Item(key="r1", type="rating", text="r1", scale="c",
             anchors=tuple(Anchor(level=i, text=str(i)) for i in range(1, 6))),
        Item(key="num", type="numeric", text="years", minimum=0, maximum=50),
    )  # fmt: skip
    return instrument(page1, page2, scales=("a", "b", "c"), key="mini", content_hash="mini-1")


def likert_instrument(
    scales: dict[str, tuple[bool, ...]], points: int = 5, content_hash: str = ""
) -> Instrument:
    """Only likert items: ``scales`` maps a scale to the reverse flag of each of its items."""
    items = tuple(
        likert(f"{s}{n}", s, reverse=rev, points=points)
        for s, flags in scales.items()
        for n, rev in enumerate(flags, start=1)
    )
    return instrument(items, scales=tuple(scales), key="lik", content_hash=content_hash)


# -- random instruments and answers for property tests (seeded by hypothesis) --

SCALES = ("a", "b", "c")


def random_instrument(rng: np.random.Generator) -> Instrument:
    """A few items of every scored type spread over up to three scales."""
    scales = SCALES[: int(rng.integers(1, 4))]
    items: list[Item] = []
    for n in range(int(rng.integers(1, 8))):
        items.append(
            likert(f"l{n}", str(rng.choice(scales)), reverse=bool(rng.random() < 0.4),
                   points=int(rng.choice([5, 7])))
        )  # fmt: skip
    for n in range(int(rng.integers(0, 3))):
        options = []
        for o in range(int(rng.integers(3, 6))):
            touched = rng.choice(scales, size=int(rng.integers(0, 3)), replace=True)
            scores = {str(s): float(rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])) for s in touched}
            options.append(Option(key=f"o{o}", text="", scores=scores))
        items.append(
            Item(key=f"s{n}", type="situational", text="", scenario="", options=tuple(options))
        )
    if rng.random() < 0.5:
        options = tuple(
            Option(key=f"m{o}", text="", scores={str(rng.choice(scales)): float(v)})
            for o, v in enumerate(rng.integers(-1, 3, size=int(rng.integers(2, 5))))
        )
        items.append(Item(key="multi", type="multi", text="", options=options))
    if rng.random() < 0.5:
        options = tuple(
            Option(key=f"e{o}", text="", points=None if o == 0 else float(rng.integers(1, 4)))
            for o in range(int(rng.integers(1, 5)))
        )
        items.append(
            Item(key="check", type="checklist", text="", scale=str(rng.choice(scales)),
                 options=options)
        )  # fmt: skip
    if rng.random() < 0.5:
        items.append(
            Item(key="rate", type="rating", text="", scale=str(rng.choice(scales)),
                 anchors=tuple(Anchor(level=i, text="") for i in range(1, 6)))
        )  # fmt: skip
    items.append(likert("att", None, attention="2"))
    order = rng.permutation(len(items))
    shuffled = tuple(items[i] for i in order)
    cut = int(rng.integers(0, len(shuffled) + 1))
    return instrument(shuffled[:cut], shuffled[cut:], scales=scales, key="random")


def random_answers(
    inst: Instrument, rng: np.random.Generator, n: int, p_missing: float = 0.2
) -> list[dict[str, object]]:
    """Valid answers in the fixed conventions, each missing with probability p_missing."""
    out: list[dict[str, object]] = []
    for _ in range(n):
        person: dict[str, object] = {}
        for it in inst.iter_items():
            if rng.random() < p_missing:
                if rng.random() < 0.5:
                    person[it.key] = None
                continue
            if it.type == "likert":
                person[it.key] = int(rng.integers(1, (it.points or 5) + 1))
            elif it.type == "rating":
                person[it.key] = int(rng.integers(1, 6))
            elif it.type in ("situational", "choice"):
                person[it.key] = it.options[int(rng.integers(len(it.options)))].key
            elif it.type in ("multi", "checklist"):
                person[it.key] = [o.key for o in it.options if rng.random() < 0.5]
        out.append(person)
    return out


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_key_cache()
    yield
    clear_key_cache()


@pytest.fixture
def mini() -> Instrument:
    return mini_instrument()


@pytest.fixture
def mini_key(mini: Instrument) -> ScoringKey:
    return compile_key(mini)
