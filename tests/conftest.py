"""Fixtures shared by the template's test suites.

- Every test runs with copier isolated from the developer's own settings and with a git
  identity (copier commits when it renders from a dirty template checkout).
- `render` (session-cached) and `render_fresh` (a new copy every call) render a named answer set
  from tests/answers/ through pytest-copie, with its keys checked against copier.yml.
- `pg_admin_url`: the admin URL of a PostgreSQL server (`DATABASE_URL`, or a throwaway one).
- `record_timing`: durations printed in a "timings" section at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.harness.postgres import admin_url
from tests.harness.render import (
    RenderedProject,
    RenderError,
    RenderFn,
    copy_answer_set,
    load_answer_set,
)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
}

_TIMINGS: list[tuple[str, float]] = []


@pytest.fixture(scope="session", autouse=True)
def _isolated_copier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    settings = tmp_path_factory.mktemp("copier-settings") / "settings.yml"
    # An empty mapping: copier 9.19 rejects a zero-byte settings file (it parses to None).
    settings.write_text("{}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPIER_SETTINGS_PATH", str(settings))
        for name, value in GIT_IDENTITY.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def render(copie_session: Any) -> RenderFn:
    """`render("default", framework="fastapi")`: rendered once per session per combination.

    Treat the result as read-only; tests that change files or install things use render_fresh.
    """
    cache: dict[tuple[tuple[str, Any], ...], RenderedProject | RenderError] = {}

    def _render(answer_set: str = "default", **overrides: Any) -> RenderedProject:
        combination = load_answer_set(answer_set, **overrides)
        key = tuple(sorted((k, repr(v)) for k, v in combination.items()))
        if key not in cache:
            try:
                cache[key] = copy_answer_set(copie_session, answer_set, overrides)
            except RenderError as exc:
                cache[key] = exc
        outcome = cache[key]
        if isinstance(outcome, RenderError):
            pytest.fail(str(outcome), pytrace=False)
        return outcome

    return _render


@pytest.fixture
def render_fresh(copie: Any) -> RenderFn:
    """`render_fresh("default")`: a new copy in this test's tmp dir on every call."""

    def _render(answer_set: str = "default", **overrides: Any) -> RenderedProject:
        try:
            return copy_answer_set(copie, answer_set, overrides)
        except RenderError as exc:
            pytest.fail(str(exc), pytrace=False)

    return _render


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """Superuser URL: postgresql://postgres@127.0.0.1:PORT/postgres (tests/harness/postgres.py)."""
    with admin_url() as url:
        yield url


@pytest.fixture(scope="session")
def record_timing() -> Callable[[str, float], None]:
    def _record(label: str, seconds: float) -> None:
        _TIMINGS.append((label, seconds))

    return _record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        terminalreporter.section("timings")
        for label, seconds in _TIMINGS:
            terminalreporter.write_line(f"{seconds:8.2f}s  {label}")


# Fast feedback first: render tests, then the rendered project's own suite, then contract tests.
_SUITE_ORDER = {"render": 0, "project": 1, "contract": 2}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def suite(item: pytest.Item) -> int:
        try:
            parts = item.path.relative_to(item.config.rootpath).parts
        except ValueError:
            return len(_SUITE_ORDER)
        if len(parts) > 2 and parts[0] == "tests":
            return _SUITE_ORDER.get(parts[1], len(_SUITE_ORDER))
        return len(_SUITE_ORDER)

    items.sort(key=suite)
