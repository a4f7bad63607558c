"""Every flavour of the working tree can be updated, including one no release contains yet.

A project rendered from the working tree (the upcoming release in a tagged clone) is committed,
edited by the user (.env.example, which every flavour has), then updated to a test-only release
on top that changes the flavour's README. No conflicts, both changes present, .env untouched,
a second update changes nothing. tests/update/test_update.py covers the real release paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from tests.harness.releases import _git, tagged_clone
from tests.harness.render import askable_questions, choice_values, load_answer_set
from tests.harness.update import (
    answer_set_for,
    commit_all,
    copier,
    init_repository,
    leftover_conflicts,
    status,
    write_data_file,
)

pytestmark = pytest.mark.update

TEMPLATE_LINE = "Released with the test-only release of tests/update.\n"
USER_LINE = "# Our staging database lives elsewhere; see the runbook.\n"


@pytest.mark.parametrize("framework", choice_values(askable_questions()["framework"]))
def test_flavour_updates_cleanly(framework: str, tmp_path: Path) -> None:
    name = answer_set_for(framework)
    if name is None:
        pytest.skip(f"no answer set in tests/answers/ renders framework={framework}")
    clone = tagged_clone(tmp_path / "template")
    data = write_data_file(tmp_path / "answers.yml", load_answer_set(name))
    project = tmp_path / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(clone.path), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    init_repository(project)
    example = project / ".env.example"
    example.write_text(USER_LINE + example.read_text())
    commit_all(project, "A note in .env.example")
    env_before = (project / ".env").read_bytes()

    readme = clone.path / "template" / framework / "README.md.jinja"
    readme.write_text(readme.read_text().rstrip("\n") + "\n\n" + TEMPLATE_LINE)
    base = max(clone.releases.next, clone.releases.latest.version)
    tag = f"v{Version(f'{base.major}.{base.minor}.{base.micro + 1}')}"
    _git("commit", "--quiet", "--no-verify", "-am", "Test-only README change", cwd=clone.path)
    _git("tag", tag, cwd=clone.path)

    result = copier("update", "--trust", "--defaults", "--vcs-ref", tag, cwd=project)

    assert leftover_conflicts(project) == [], result.stdout
    assert (project / "README.md").read_text().endswith(TEMPLATE_LINE)
    assert (project / ".env.example").read_text().startswith(USER_LINE)
    assert (project / ".env").read_bytes() == env_before
    assert f"_commit: {tag}" in (project / ".copier-answers.yml").read_text()
    commit_all(project, "Update from the template")
    copier("update", "--trust", "--defaults", "--vcs-ref", tag, cwd=project)
    assert status(project) == ""
