"""`rendered`: each render case (answer sets, and every choice value), rendered once a session."""

from __future__ import annotations

import pytest

from tests.harness.render import RenderedProject, RenderFn, render_cases


@pytest.fixture(scope="session", params=render_cases(), ids=lambda case: case.id)
def rendered(request: pytest.FixtureRequest, render: RenderFn) -> RenderedProject:
    case = request.param
    return render(case.answer_set, **dict(case.overrides))
