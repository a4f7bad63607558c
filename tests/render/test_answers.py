"""Answer sets, choice values and the answers file copier leaves in every project."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.contract.flavours import FLAVOURS
from tests.harness import matrix
from tests.harness.render import (
    TEMPLATE_ROOT,
    RenderedProject,
    RenderFn,
    answer_set_for,
    answer_set_names,
    answers_file_name,
    askable_questions,
    check_answer_keys,
    choice_values,
    load_answer_set,
    questions,
)

SECRET_WORDS = ("secret", "password", "token", "jwt")


def _stored_answers(project: Path) -> dict[str, Any]:
    answers_file = project / answers_file_name()
    assert answers_file.is_file(), f"{answers_file_name()} is missing from the rendered project"
    data = yaml.safe_load(answers_file.read_text())
    assert isinstance(data, dict), f"{answers_file_name()} is not a YAML mapping"
    return data


@pytest.mark.parametrize("name", answer_set_names())
def test_answer_set_only_answers_real_questions(name: str) -> None:
    load_answer_set(name)  # raises on a key copier.yml does not ask


def test_misspelt_answer_is_refused() -> None:
    with pytest.raises(KeyError, match="projct_name"):
        check_answer_keys({"projct_name": "Acme"})


def test_there_is_a_default_and_a_non_default_answer_set() -> None:
    names = answer_set_names()
    assert "default" in names
    assert len(names) >= 2, "add an answer set that differs from the defaults"


def test_default_answer_set_matches_copier_defaults(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker = copier.run_copy(
            str(TEMPLATE_ROOT),
            tmp_path / "pretend",
            defaults=True,
            unsafe=True,
            pretend=True,
            quiet=True,
        )
    defaults = {k: v for k, v in worker._answers_to_remember().items() if not k.startswith("_")}
    assert load_answer_set("default") == defaults


def test_every_question_has_help_and_a_default() -> None:
    for name, spec in questions().items():
        assert spec.get("help"), f"question {name!r} has no help text"
        assert "default" in spec, f"question {name!r} has no default: --defaults would fail"


def test_a_question_with_one_value_is_not_asked() -> None:
    # A choice question offering one value costs an Enter for nothing; `ask: false` records it.
    for name, spec in askable_questions().items():
        if len(choice_values(spec)) == 1:
            assert spec.get("ask") is False, f"{name!r} has one value: give it `ask: false`"


def _choice_cases() -> list[Any]:
    return [
        pytest.param(question, value, id=f"{question}={value}")
        for question, spec in askable_questions().items()
        for value in choice_values(spec)
    ]


@pytest.mark.parametrize(("question", "value"), _choice_cases())
def test_every_choice_value_renders(render: RenderFn, question: str, value: Any) -> None:
    project = render(answer_set_for(question, value), **{question: value})
    assert project.recorded.get(question) == value
    assert _stored_answers(project.path).get(question) == value


def test_answers_file_records_the_answers(rendered: RenderedProject) -> None:
    stored = _stored_answers(rendered.path)
    assert stored.get("_src_path") == str(TEMPLATE_ROOT)
    for question in askable_questions():
        if question in rendered.recorded:
            assert stored.get(question) == rendered.answers[question], question
        else:  # skipped by `when`: copier must not store it
            assert question not in stored, question
    computed = sorted(set(questions()) - set(askable_questions()))
    leaked = sorted(set(stored) & set(computed))
    assert not leaked, f"computed values stored in the answers file: {leaked}"


def test_answers_file_has_no_secrets(rendered: RenderedProject) -> None:
    text = (rendered.path / answers_file_name()).read_text()
    stored = _stored_answers(rendered.path)
    suspicious = [key for key in stored if any(word in key.lower() for word in SECRET_WORDS)]
    assert not suspicious, f"secret-looking keys in the answers file: {suspicious}"
    env_file = rendered.path / ".env"
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip().endswith(("_SECRET", "_PASSWORD")) and len(value.strip()) >= 8:
                assert value.strip() not in text, f"{key} from .env is in the answers file"


def test_answers_file_header_says_never_edit(rendered: RenderedProject) -> None:
    text = (rendered.path / answers_file_name()).read_text()
    assert "NEVER EDIT MANUALLY" in text


def test_ci_slice_runs_every_framework_and_model_in_a_project_suite() -> None:
    """CI runs the contract suite for every combination, and the rendered projects' own suites
    pairwise (tests/harness/matrix.py): a framework or a model left out of those would ship
    without its own tests, its PgBouncer ones included, ever running in CI."""
    frameworks = {flavour.framework for flavour in FLAVOURS.values()}
    models = {flavour.tenancy for flavour in FLAVOURS.values()}
    suites = {
        "fastapi": matrix.FASTAPI_PROJECT_SUITES,
        "go": matrix.GO_PROJECT_SUITES,
    }
    assert set(suites) == frameworks, "give every framework its project suites in matrix.py"
    covered = set()
    for framework, names in suites.items():
        for name in names:
            answers = load_answer_set(name)
            assert answers["framework"] == framework, f"{name}: not a {framework} answer set"
            covered.add(answers["tenancy"])
        bare = [name for name in names if name in matrix.BARE_MACHINE_SUITES]
        assert bare, f"no {framework} project suite runs as on a bare machine"
    assert covered == models, f"no project suite runs tenancy {sorted(models - covered)}"
