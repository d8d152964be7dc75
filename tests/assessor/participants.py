"""Helpers that answer questionnaires through the participant pages like a person would."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

from questionnaires import Instrument, Section
from tests.conftest import csrf_token_from


def section_form_data(section: Section, answers: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in section.items:
        if item.key not in answers:
            continue
        value = answers[item.key]
        name = f"q_{item.key}"
        if item.type == "forced_choice":  # stored [most, least]: two radio groups
            data[f"{name}-most"], data[f"{name}-least"] = value
        elif item.type == "effectiveness":  # {option: rating}: one radio group per response
            data.update({f"{name}-{option}": str(v) for option, v in value.items()})
        else:
            data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def consent(client: FlaskClient, link: str) -> Any:
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    if 'name="consent"' not in html:  # consent was given earlier, on any device
        return page
    return client.post(link, data={"csrf_token": csrf_token_from(html), "consent": "yes"})


def post_section(
    client: FlaskClient,
    link: str,
    section: Section,
    answers: dict[str, Any],
    action: str = "next",
    seconds: float = 60.0,
) -> Any:
    url = f"{link}/page/{section.key}"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    token = csrf_token_from(page.get_data(as_text=True))
    data = section_form_data(section, answers)
    data.update(
        {"csrf_token": token, "action": action, "page_started": f"{time.time() - seconds:.3f}"}
    )
    return client.post(url, data=data)


def answer_all(
    client: FlaskClient,
    link: str,
    instrument: Instrument,
    answers: dict[str, Any],
    stop_after: int | None = None,
) -> list[str]:
    """Answer page after page, following the app's redirects; returns the pages posted."""
    consent(client, link)
    posted: list[str] = []
    location = client.get(f"{link}/resume").headers["Location"]
    while "/page/" in location:
        if stop_after is not None and len(posted) >= stop_after:
            break
        key = location.rsplit("/page/", 1)[1]
        section = next(s for s in instrument.sections if s.key == key)
        response = post_section(client, link, section, answers)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        posted.append(key)
        location = response.headers["Location"]
    return posted


def submit(client: FlaskClient, link: str) -> Any:
    page = client.get(f"{link}/review")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"{link}/review", data={"csrf_token": token})


def readiness_respondents(survey: Any, segments: list[dict[str, str]], seed: int = 0) -> list[int]:
    """Readiness respondents answering through the services (not the subject of a test):
    one per segment given, random answers, attention checks passed; their assignment ids."""
    import numpy as np

    from assessor.demo import _answer_pages
    from assessor.services import responses, results, surveys

    rng = np.random.default_rng(seed)
    instrument = surveys.instrument_of(survey)
    ids: list[int] = []
    for segment in segments:
        assignment = surveys.start_response(survey, None)
        answers: dict[str, Any] = {"region": "europe", **segment}
        for item in instrument.items:
            if item.attention is not None:
                answers[item.key] = int(item.attention)
            elif item.scale:
                answers[item.key] = int(rng.integers(1, 6))
        _answer_pages(assignment, instrument, answers, rng, pages=None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
        ids.append(assignment.id)
    return ids
