"""Changing an answer on `copier update --data question=value`.

- Questions fixed at creation (framework, tenancy) are refused with a message that says why and
  what to do, and the project is left untouched. When copier.yml offers no other value yet,
  a test-only choice is added in a throwaway clone, so the validator is exercised today.
- Feature toggles (boolean questions) can be switched on update without conflicts. There are
  none yet: the test reads them from copier.yml and runs once one exists.
- A fresh copy does not read the (absent) answers file, so it prints no MissingFileWarning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.releases import TaggedClone, _git, tagged_clone
from tests.harness.render import askable_questions, choice_values, load_answer_set
from tests.harness.update import (
    commit_all,
    copier,
    init_repository,
    leftover_conflicts,
    status,
    write_data_file,
)

pytestmark = pytest.mark.update

FIXED = ["framework", "tenancy"]
REFUSED = "cannot change once a project exists"


def _copy(clone: Path, where: Path, answers: dict[str, Any]) -> tuple[Path, str]:
    data = write_data_file(where / "answers.yml", answers)
    project = where / "project"
    result = copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(clone), str(project),
        cwd=where,
    )  # fmt: skip
    init_repository(project)
    return project, result.stdout


def _add_choice(clone: Path, question: str, value: str) -> None:
    """A test-only commit offering one more value for `question`."""
    path = clone / "copier.yml"
    config = yaml.safe_load(path.read_text())
    choices = config[question]["choices"]
    if isinstance(choices, dict):
        choices[f"Test-only {value}"] = value
    else:
        choices.append(value)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    _git("commit", "--quiet", "--no-verify", "-am", f"Test-only {question}={value}", cwd=clone)


@pytest.fixture
def clone(tmp_path: Path) -> TaggedClone:
    return tagged_clone(tmp_path / "template")


@pytest.mark.parametrize("question", FIXED)
def test_a_fixed_answer_cannot_change_on_update(
    question: str, clone: TaggedClone, tmp_path: Path
) -> None:
    answers = load_answer_set("default")
    project, _ = _copy(clone.path, tmp_path, answers)
    others = [v for v in choice_values(askable_questions()[question]) if v != answers[question]]
    if others:
        other = others[0]
    else:
        other = "test_only_value"
        _add_choice(clone.path, question, other)
    before = (project / ".copier-answers.yml").read_text()

    result = copier(
        "update", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", f"{question}={other}",
        cwd=project, check=False,
    )  # fmt: skip

    assert result.returncode != 0, result.stdout
    assert f"{question} {REFUSED}" in result.stdout
    assert f'{question}="{answers[question]}"' in result.stdout
    assert status(project) == "", "a refused update must leave the project untouched"
    assert (project / ".copier-answers.yml").read_text() == before


def test_an_update_with_the_same_fixed_answers_is_accepted(
    clone: TaggedClone, tmp_path: Path
) -> None:
    answers = load_answer_set("default")
    project, _ = _copy(clone.path, tmp_path, answers)

    result = copier(
        "update", "--trust", "--defaults", "--vcs-ref", "HEAD",
        *(arg for q in FIXED for arg in ("--data", f"{q}={answers[q]}")),
        cwd=project,
    )  # fmt: skip

    assert REFUSED not in result.stdout
    assert status(project) == ""


def test_a_fresh_copy_prints_no_warning_about_previous_answers(
    clone: TaggedClone, tmp_path: Path
) -> None:
    _, output = _copy(clone.path, tmp_path, load_answer_set("default"))
    assert "MissingFileWarning" not in output
    assert "Warning" not in output, output


TOGGLES = [name for name, spec in askable_questions().items() if spec.get("type") == "bool"]


@pytest.mark.parametrize(
    "toggle",
    TOGGLES or [pytest.param(None, marks=pytest.mark.skip(reason="copier.yml has no toggle yet"))],
)
def test_switching_a_toggle_on_update_merges_cleanly(
    toggle: str, clone: TaggedClone, tmp_path: Path
) -> None:
    answers = load_answer_set("default")
    project, _ = _copy(clone.path, tmp_path, answers)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    switched = not bool(recorded.get(toggle, False))

    result = copier(
        "update", "--trust", "--defaults", "--vcs-ref", "HEAD",
        "--data", f"{toggle}={str(switched).lower()}",
        cwd=project,
    )  # fmt: skip

    assert leftover_conflicts(project) == [], result.stdout
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())[toggle] is switched
    commit_all(project, f"Switch {toggle}")
    copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    assert status(project) == ""
