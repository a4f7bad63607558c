"""A person runs `copier copy` in a terminal and answers the questions.

A real `copier copy --trust` of the working tree runs in a pseudo-terminal (pexpect). The test
reads copier.yml for the questions, their order, help texts, choices and `when` conditions, so
it follows the questionnaire as it changes. Per framework it:

- waits for each question by its help text and answers like a person: types a name, accepts most
  defaults with Enter, picks the framework with the arrow keys;
- types an invalid slug (and, where the framework asks for one, an invalid Go module path), sees
  the validator's message, sees the same question again and corrects the answer;
- checks the questions depending on the framework are asked exactly when their `when` says, and
  that the framework's choices (listed from copier.yml) were offered;
- checks copier finished, and the project rendered with the answers given.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from tests.harness.render import TEMPLATE_ROOT, askable_questions, choice_values, copier_config
from tests.harness.terminal import DOWN, ENTER, UP, Terminal

pytestmark = pytest.mark.interactive

FRAMEWORKS = choice_values(askable_questions()["framework"])

# Typed answers, and an invalid first attempt where a validator should refuse it.
TYPED = {"project_name": "Moon Base"}
BAD_FIRST = {
    "project_slug": ("Moon Base", "moon-base", "is not a valid slug"),
    "go_module": ("not a module", "example.com/moon/moon-base", "is not a usable Go module path"),
}
# Files that show the flavour rendered.
MARKER_FILES = {"fastapi": "pyproject.toml", "go": "go.mod"}


def _labels(spec: dict[str, Any]) -> list[str]:
    choices = spec.get("choices") or []
    if isinstance(choices, dict):
        return [str(label) for label in choices]
    return [str(c[0] if isinstance(c, list | tuple) else c) for c in choices]


def _holds(condition: Any, answers: dict[str, Any]) -> bool:
    if isinstance(condition, bool):
        return condition
    rendered = jinja2.Environment().from_string(str(condition)).render(**answers)
    return rendered.strip().lower() not in {"false", "", "0", "none", "no"}


def _asked(spec: dict[str, Any], answers: dict[str, Any]) -> bool:
    return _holds(spec.get("when", True), answers) and _holds(spec.get("ask", True), answers)


def _default(spec: dict[str, Any], answers: dict[str, Any]) -> str:
    return jinja2.Environment().from_string(str(spec.get("default"))).render(**answers)


def _prompt_pattern(spec: dict[str, Any], name: str) -> str:
    help_text = str(spec.get("help") or name).splitlines()[0]
    return re.escape(help_text[:60])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_person_answers_the_questions(framework: str, tmp_path: Path) -> None:
    questions = askable_questions()
    destination = tmp_path / "project"
    terminal = Terminal(
        [sys.executable, "-m", "copier", "copy", "--trust", str(TEMPLATE_ROOT), str(destination)],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=90,
    )
    given: dict[str, Any] = {"framework": framework}
    asked: list[str] = []
    refused: dict[str, str] = {}
    accepted_choices: list[str] = []
    remaining = list(questions)
    while remaining:
        patterns = [_prompt_pattern(questions[name], name) for name in remaining]
        index = terminal.wait_for(*patterns)
        if index == -1:
            break
        name = remaining[index]
        # Questions in between were skipped by `when`; answered ones never come back.
        remaining = remaining[index + 1 :]
        asked.append(name)
        spec = questions[name]
        if name in BAD_FIRST:
            bad, good, message = BAD_FIRST[name]
            terminal.type_line(bad)
            assert terminal.wait_for(re.escape(message), _prompt_pattern(spec, name)) == 0
            # Still the same question: no later question's prompt has appeared.
            later = [_prompt_pattern(questions[n], n) for n in remaining]
            screen_after_error = terminal.screen_text()[terminal._seen :]
            assert not any(re.search(p, screen_after_error) for p in later)
            refused[name] = message
            terminal.type_line(good)
            given[name] = good
        elif name in TYPED:
            terminal.type_line(TYPED[name])
            given[name] = TYPED[name]
        elif spec.get("choices") is not None and name == "framework":
            values = choice_values(spec)
            # The prompt line shows before its choices: wait for each, in order.
            for label in _labels(spec):
                found = terminal.wait_for(re.escape(label), timeout=10)
                assert found == 0, f"framework choice {label!r} not offered"
            steps = values.index(framework) - values.index(spec.get("default", values[0]))
            terminal.send((DOWN if steps > 0 else UP) * abs(steps) + ENTER)
        else:
            if spec.get("choices") is not None:
                for label in _labels(spec):
                    assert terminal.wait_for(re.escape(label), timeout=10) == 0, f"{name}: {label}"
                accepted_choices.append(name)
            terminal.send(ENTER)
    status = terminal.finish(timeout=300)
    screen = terminal.screen_text()

    assert status == 0, screen[-4000:]
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert recorded["framework"] == framework
    assert recorded["project_name"] == "Moon Base"
    for name, value in given.items():
        assert recorded.get(name) == value, f"{name}: {recorded.get(name)!r} != {value!r}"
    # Exactly the questions whose `when` holds for these answers were asked.
    expected = [n for n, spec in questions.items() if _asked(spec, recorded)]
    assert asked == expected, f"asked {asked}, copier.yml says {expected}"
    # Choices accepted with Enter took the default copier.yml gives for this framework
    # (orm: sqlalchemy for fastapi, sqlc for go): the pre-selected choice follows the framework.
    for name in accepted_choices:
        default = _default(questions[name], recorded)
        assert str(recorded[name]) == default, f"{name}: {recorded[name]!r} != {default!r}"
    # Questions that are not asked (a single valid value) are recorded all the same.
    for name, spec in questions.items():
        if _holds(spec.get("when", True), recorded) and not _asked(spec, recorded):
            assert str(recorded.get(name)) == _default(spec, recorded), f"{name} not recorded"
    assert "project_slug" in refused
    if "go_module" in expected:
        assert "go_module" in refused
    marker = MARKER_FILES.get(framework)
    if marker:
        assert (destination / marker).is_file(), f"{framework} project without {marker}"
    # The message after copy, as copier renders it, is the last thing the person reads.
    first_line = str(copier_config()["_message_after_copy"]).splitlines()[0]
    context = {**recorded, "_copier_conf": {"dst_path": destination}}
    assert jinja2.Environment().from_string(first_line).render(**context) in screen
