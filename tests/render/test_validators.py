"""Every validator of copier.yml refuses bad input with a message a user can act on.

Driven through copier's API with `data=` (the path `--data` and answer files take). The
interactive prompt runs the same validators.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import copier
import pytest

from tests.harness.render import TEMPLATE_ROOT, load_answer_set

NAME = "cannot be empty"
SLUG = "is not a valid slug"
EMAIL = "is not an email address"
PACKAGE = "is not a usable Python package name"
MODULE = "is not a usable Go module path"

BAD_ANSWERS = [
    ("project_name", "", NAME),
    ("project_name", "   ", NAME),
    ("project_slug", "Acme API", SLUG),
    ("project_slug", "acme_api", SLUG),
    ("project_slug", "1acme", SLUG),
    ("project_slug", "-acme", SLUG),
    ("project_slug", "", SLUG),
    # A name uv, Docker and PostgreSQL all accept: no empty part between dashes, at either end or
    # inside, and short enough for "<slug>_app" to be a PostgreSQL identifier (63 bytes).
    ("project_slug", "moon-base-", SLUG),
    ("project_slug", "moon--base", SLUG),
    ("project_slug", "a" * 60, SLUG),
    ("author_email", "jane", EMAIL),
    ("author_email", "jane@", EMAIL),
    ("author_email", "jane@example", EMAIL),
    ("author_email", "jane doe@example.com", EMAIL),
    ("package_name", "Acme", PACKAGE),
    ("package_name", "acme-api", PACKAGE),
    ("package_name", "1acme", PACKAGE),
    ("package_name", "_acme", PACKAGE),
    ("package_name", "tests", PACKAGE),
    ("package_name", "src", PACKAGE),
    ("package_name", "", PACKAGE),
    ("framework", "django", "Invalid choice"),
    ("orm", "prisma", "Invalid choice"),
    ("orm", "sqlc", "works only with framework=go"),
    ("tenancy", "whatever", "Invalid choice"),
]


# Answers that only the Go flavour asks, checked over the "go" answer set.
GO_BAD_ANSWERS = [
    ("go_module", "", MODULE),
    ("go_module", "acme-api", MODULE),
    ("go_module", "github.com", MODULE),
    ("go_module", "GitHub.com/acme/api", MODULE),
    ("go_module", "github.com/acme/acme api", MODULE),
    ("go_module", "github.com/acme/", MODULE),
    ("go_module", "https://github.com/acme/api", MODULE),
    ("orm", "sqlalchemy", "works only with framework=fastapi"),
]


def _copy(destination: Path, answers: dict[str, Any], *, pretend: bool = False) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return copier.run_copy(
            str(TEMPLATE_ROOT),
            destination,
            data=answers,
            defaults=True,
            unsafe=True,
            pretend=pretend,
            quiet=True,
        )


@pytest.mark.parametrize(
    ("answer_set", "question", "value", "message"),
    [pytest.param("default", q, v, m, id=f"{q}={v!r}") for q, v, m in BAD_ANSWERS]
    + [pytest.param("go", q, v, m, id=f"go-{q}={v!r}") for q, v, m in GO_BAD_ANSWERS],
)
def test_bad_answer_is_refused_with_a_clear_message(
    tmp_path: Path, answer_set: str, question: str, value: str, message: str
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        _copy(destination, load_answer_set(answer_set, **{question: value}))

    text = str(refused.value)
    assert question in text, f"the error does not name the question: {text}"
    assert message in text, f"unexpected error text: {text}"
    if value.strip() and message != "Invalid choice":
        assert value in text, f"the error does not quote the bad value: {text}"
    # The prompt shows the message under the question: apart from the value quoted back, it
    # fits on an 80-column line with room for a short value.
    if message != "Invalid choice":  # copier's own message
        reason = text.split("': ", 1)[-1].replace(f'"{value}"', '""')
        assert len(reason) <= 68, f"{len(reason)} characters: {reason}"
    rendered = [p for p in destination.rglob("*") if p.is_file()] if destination.exists() else []
    assert not rendered, "a refused answer must not leave files behind"


@pytest.mark.parametrize(
    ("answer_set", "question", "value"),
    [
        ("default", "project_slug", "a"),
        ("default", "project_slug", "acme-api-2"),
        ("default", "project_slug", "a" * 59),
        ("default", "author_email", "first.last+tag@sub.example.co.uk"),
        ("default", "package_name", "acme_api2"),
        ("go", "go_module", "example.com/acme"),
        ("go", "go_module", "gitlab.example.co.uk/Team/sub.group/acme-api_v2"),
        ("go", "go_module", "github.com/acme/acme-api/v2"),
    ],
)
def test_unusual_but_valid_answer_is_accepted(
    tmp_path: Path, answer_set: str, question: str, value: str
) -> None:
    worker = _copy(
        tmp_path / "pretend", load_answer_set(answer_set, **{question: value}), pretend=True
    )
    assert worker.answers.combined[question] == value


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Moon Base!", "moon-base"),
        ("2nd -- Moon   Base", "nd-moon-base"),
        ("A " * 40, "a-" * 29 + "a"),  # cut at 59 characters, then no trailing dash
    ],
)
def test_the_default_slug_of_any_name_passes_the_validator(
    tmp_path: Path, name: str, slug: str
) -> None:
    answers = load_answer_set("default", project_name=name)
    answers.pop("project_slug", None)
    worker = _copy(tmp_path / "pretend", answers, pretend=True)
    assert worker.answers.combined["project_slug"] == slug
