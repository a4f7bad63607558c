"""The template's questions and named answer sets (tests/answers/<name>.yml).

An answer set names a combination once, so the render, project and contract suites (and CI)
all mean the same thing by "default" or "custom". Copier silently ignores an answer whose key
is not a question, so every key is checked against copier.yml here: a misspelt key must fail,
not quietly render the defaults.
"""

from __future__ import annotations

import functools
import os
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.harness.matrix import full_matrix

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]
ANSWERS_DIR = TEMPLATE_ROOT / "tests" / "answers"
COPIER_YML = TEMPLATE_ROOT / "copier.yml"


class _IgnoreTagsLoader(yaml.SafeLoader):
    """Reads copier.yml; copier-only tags such as !include are kept as plain scalars."""


_IgnoreTagsLoader.add_multi_constructor(
    "!",
    lambda loader, _suffix, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


@functools.cache
def copier_config() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in yaml.load_all(COPIER_YML.read_text(), Loader=_IgnoreTagsLoader):
        merged.update(document or {})
    return merged


def questions() -> dict[str, dict[str, Any]]:
    """Every question of copier.yml (settings start with "_"), in order, as a mapping."""
    result: dict[str, dict[str, Any]] = {}
    for name, spec in copier_config().items():
        if name.startswith("_"):
            continue
        # Copier's shorthand `name: default` is a question too.
        result[name] = spec if isinstance(spec, dict) else {"default": spec}
    return result


def is_computed(spec: Mapping[str, Any]) -> bool:
    """`when: false` marks a value derived from other answers: never asked, never stored."""
    when = spec.get("when", True)
    return when is False or (isinstance(when, str) and when.strip().lower() == "false")


def askable_questions() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in questions().items() if not is_computed(spec)}


def choice_values(spec: Mapping[str, Any]) -> list[Any]:
    """Stored values of a choice question (labels are the keys of a mapping)."""
    choices = spec.get("choices")
    if choices is None:
        return []
    if isinstance(choices, dict):
        values = []
        for value in choices.values():
            values.append(value["value"] if isinstance(value, dict) else value)
        return values
    values = []
    for item in choices:
        if isinstance(item, (list, tuple)):  # [label, value]
            values.append(item[1])
        elif isinstance(item, dict) and "value" in item:
            values.append(item["value"])
        else:
            values.append(item)
    return values


def answers_file_name() -> str:
    return str(copier_config().get("_answers_file", ".copier-answers.yml"))


def check_answer_keys(answers: Mapping[str, Any], source: str = "answers") -> None:
    """Raise when a key is not a question of copier.yml (copier would silently ignore it)."""
    askable = askable_questions()
    unknown = sorted(set(answers) - set(askable))
    if unknown:
        computed = sorted(set(unknown) & set(questions()))
        hint = f" ({', '.join(computed)}: computed, not answerable)" if computed else ""
        raise KeyError(
            f"{source}: {', '.join(unknown)} not a question of copier.yml{hint}. "
            f"Questions: {', '.join(askable)}"
        )


def answer_set_names() -> list[str]:
    return sorted(path.stem for path in ANSWERS_DIR.glob("*.yml"))


@functools.cache
def _load(name: str) -> dict[str, Any]:
    path = ANSWERS_DIR / f"{name}.yml"
    if not path.is_file():
        raise FileNotFoundError(
            f"No answer set {name!r} ({path}); known: {', '.join(answer_set_names())}"
        )
    answers = yaml.safe_load(path.read_text()) or {}
    if not isinstance(answers, dict):
        raise TypeError(f"{path}: expected a mapping of question -> answer")
    check_answer_keys(answers, source=str(path.relative_to(TEMPLATE_ROOT)))
    return answers


def load_answer_set(name: str, **overrides: Any) -> dict[str, Any]:
    """The answers of tests/answers/<name>.yml, with overrides applied; keys are checked."""
    check_answer_keys(overrides, source=f"overrides of {name!r}")
    return {**_load(name), **overrides}


@dataclass(frozen=True)
class RenderCase:
    id: str
    answer_set: str
    overrides: tuple[tuple[str, Any], ...] = ()


def selected_answer_sets(variable: str, default: list[str]) -> list[str]:
    """The answer sets named in the environment variable (comma-separated), else every answer
    set with MATRIX=full, else default; an unknown name fails at collection, not after a slow
    render."""
    requested = os.environ.get(variable)
    if requested:
        names = [n.strip() for n in requested.split(",") if n.strip()]
    elif full_matrix():
        names = answer_set_names()
    else:
        names = default
    for name in names:
        load_answer_set(name)
    return names


def answer_set_for(question: str, value: Any) -> str:
    """The answer set to render a choice value with: the default set unless another named set
    uses the value (framework=go needs the Go answers, say orm=sqlc, that the default set lacks)."""
    names = answer_set_names()
    if "default" in names and load_answer_set("default").get(question) == value:
        return "default"
    for name in names:
        if load_answer_set(name).get(question) == value:
            return name
    return "default"


def render_cases() -> list[RenderCase]:
    """Every named answer set, plus the default set with each choice value no set uses.

    This is the list of renders the static checks run on; a new choice value joins it without
    touching the tests (or through an answer set of its own when it needs other answers too).
    """
    cases = [RenderCase(name, name) for name in answer_set_names()]
    used = {
        (question, value)
        for name in answer_set_names()
        for question, value in load_answer_set(name).items()
    }
    for question, spec in askable_questions().items():
        for value in choice_values(spec):
            if (question, value) not in used:
                cases.append(
                    RenderCase(f"default-{question}-{value}", "default", ((question, value),))
                )
    return cases


SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def iter_files(root: Path) -> Iterator[Path]:
    """Files of a rendered project (relative paths), without VCS and tool caches."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRS for part in relative.parts):
            continue
        if path.is_file() or path.is_symlink():
            yield relative


def read_text(path: Path) -> str | None:
    """The file as UTF-8 text, or None for binary files."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class RenderedProject:
    path: Path
    answer_set: str
    answers: dict[str, Any]  # what the test asked for (answer set + overrides)
    recorded: dict[str, Any]  # what copier says it answered (pytest-copie's result.answers)
    seconds: float


class RenderError(AssertionError):
    pass


RenderFn = Callable[..., RenderedProject]


def copy_answer_set(copie: Any, answer_set: str, overrides: dict[str, Any]) -> RenderedProject:
    """Render an answer set with a pytest-copie `Copie`; raise RenderError with the traceback."""
    answers = load_answer_set(answer_set, **overrides)
    started = time.perf_counter()
    result = copie.copy(extra_answers=answers, template_dir=TEMPLATE_ROOT)
    seconds = time.perf_counter() - started
    if result.exit_code != 0 or result.exception is not None or result.project_dir is None:
        exc = result.exception
        detail = "".join(traceback.format_exception(exc)) if isinstance(exc, BaseException) else ""
        raise RenderError(
            f"copier copy of answer set {answer_set!r} {overrides or ''} failed "
            f"(exit code {result.exit_code}): {exc!r}\n{detail}"
        )
    return RenderedProject(
        path=Path(result.project_dir),
        answer_set=answer_set,
        answers=answers,
        recorded=dict(result.answers),
        seconds=seconds,
    )
