"""`copier update` from earlier releases to the working tree, on a project the user has changed.

For each framework and each starting release (the previous release and the oldest supported
one, from releases.toml; every supported release under MATRIX=full): render that release out of a tagged clone, `git init` and commit as a
user would, make typical edits (tests/update/user_edits.py) and commit them, then
`copier update --defaults --trust --vcs-ref HEAD`. Then:

- no conflict markers and no `.rej` files anywhere;
- the user's edits are intact;
- the copy-only task did not run again (.env is untouched);
- a second update changes nothing;
- a fresh copy of HEAD with the same edits applied is identical to the updated project;
- the updated project passes its own lint, type-check and tests (slow; from the newest release
  only, unless MATRIX=full).

A framework that no release contains yet (say go before the release that adds it) is skipped
with that reason: there is nothing to update from.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.commands import ProjectCommands, find_uv, go_project_env, python_project_env
from tests.harness.matrix import full_matrix
from tests.harness.releases import TEMPLATE_ROOT, Release, TaggedClone, load_releases
from tests.harness.render import askable_questions, choice_values, load_answer_set
from tests.harness.update import (
    answer_set_for,
    answers_at,
    choices_at,
    commit_all,
    copier,
    init_repository,
    leftover_conflicts,
    present,
    status,
    tree_differences,
    write_data_file,
)
from tests.update.user_edits import EDITS

pytestmark = pytest.mark.update


def _head_is_release(release: Release) -> bool:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=TEMPLATE_ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=TEMPLATE_ROOT, capture_output=True, text=True
    ).stdout.strip()
    return head == release.commit and not dirty


def starting_releases() -> list[Release]:
    """Every supported release under MATRIX=full; else the previous release and the oldest
    supported one (once each)."""
    info = load_releases()
    earlier = [r for r in info.supported() if not _head_is_release(r)]
    if not earlier or full_matrix():
        return earlier
    chosen = {earlier[-1].version: earlier[-1], earlier[0].version: earlier[0]}
    return [chosen[v] for v in sorted(chosen)]


CASES = [
    pytest.param((framework, release), id=f"{framework}-from-{release.tag}")
    for framework in choice_values(askable_questions()["framework"])
    for release in starting_releases()
]


@dataclass
class UpdatedProject:
    path: Path
    framework: str
    answers: dict[str, Any]
    release: Release
    expected: list[tuple[str, str]]
    env_before: bytes
    conflicts_after_update: list[str]
    update_output: str
    second_update_status: str
    fresh: Path


def _copy(clone: TaggedClone, ref: str, answers: dict[str, Any], dest: Path) -> None:
    data = write_data_file(
        dest.parent / f"{dest.name}-answers.yml", answers_at(clone.path, ref, answers)
    )
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", ref,
        "--data-file", str(data), str(clone.path), str(dest),
        cwd=dest.parent,
    )  # fmt: skip


@pytest.fixture(scope="module", params=CASES)
def updated(
    request: pytest.FixtureRequest,
    template_clone: TaggedClone,
    tmp_path_factory: pytest.TempPathFactory,
    record_timing: Any,
) -> UpdatedProject:
    framework, release = request.param
    clone = template_clone
    if framework not in choices_at(clone.path, release.tag, "framework"):
        pytest.skip(
            f"framework={framework} is in no release up to {release.tag}: nothing to update "
            "from until a release listed in releases.toml contains it"
        )
    if framework not in EDITS:
        pytest.skip(f"no user-edit scenario for framework={framework} (tests/update/user_edits.py)")
    name = answer_set_for(framework)
    if name is None:
        pytest.skip(f"no answer set in tests/answers/ renders framework={framework}")
    answers = load_answer_set(name)
    base = tmp_path_factory.mktemp(f"update-{framework}-{release.tag}")
    project = base / "project"

    started = time.perf_counter()
    _copy(clone, release.tag, answers, project)
    record_timing(f"[update {framework} {release.tag}] copier copy", time.perf_counter() - started)
    init_repository(project)
    expected = EDITS[framework](project, answers)
    commit_all(project, "My changes")
    env_before = (project / ".env").read_bytes()

    started = time.perf_counter()
    update = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    record_timing(
        f"[update {framework} {release.tag}] copier update", time.perf_counter() - started
    )
    conflicts = leftover_conflicts(project)
    commit_all(project, "Update from the template")

    started = time.perf_counter()
    copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    record_timing(
        f"[update {framework} {release.tag}] second copier update", time.perf_counter() - started
    )
    second_status = status(project)

    fresh = base / "fresh"
    _copy(clone, "HEAD", answers, fresh)
    EDITS[framework](fresh, answers)
    return UpdatedProject(
        path=project,
        framework=framework,
        answers=answers,
        release=release,
        expected=expected,
        env_before=env_before,
        conflicts_after_update=conflicts,
        update_output=update.stdout,
        second_update_status=second_status,
        fresh=fresh,
    )


def test_update_leaves_no_conflicts(updated: UpdatedProject) -> None:
    assert updated.conflicts_after_update == [], updated.update_output[-5000:]


def test_update_prints_no_warnings(updated: UpdatedProject) -> None:
    # e.g. a MissingFileWarning from reading the previous answers in copier's temporary renders
    assert "Warning" not in updated.update_output, updated.update_output[-5000:]


def test_update_keeps_the_users_edits(updated: UpdatedProject) -> None:
    assert present(updated.path, updated.expected) == []


def test_update_reaches_head(updated: UpdatedProject, template_clone: TaggedClone) -> None:
    answers = (updated.path / ".copier-answers.yml").read_text()
    head = template_clone.head_tag or template_clone.head[:7]
    assert f"_commit: {head}" in answers or f"-g{template_clone.head[:7]}" in answers


def test_copy_only_task_does_not_run_on_update(updated: UpdatedProject) -> None:
    # make_env runs only at copy time: an update must keep the project's secrets as they are.
    assert (updated.path / ".env").read_bytes() == updated.env_before


def test_second_update_changes_nothing(updated: UpdatedProject) -> None:
    assert updated.second_update_status == ""


def test_fresh_copy_differs_only_by_the_users_edits(updated: UpdatedProject) -> None:
    differences = tree_differences(updated.path, updated.fresh)
    assert differences == [], "\n".join(differences)


@pytest.mark.slow
def test_updated_project_passes_its_own_checks(
    updated: UpdatedProject, pg_admin_url: str, record_timing: Any
) -> None:
    if not full_matrix():
        # The tests above check the update from every release, and that the updated project is
        # a fresh copy plus the user's edits; the fresh copy's own suite is the project suite's.
        pytest.skip("the updated projects' own suites run with MATRIX=full")
    label = f"updated from {updated.release.tag}"
    if updated.framework == "go":
        go = ProjectCommands(updated.path, label, go_project_env(), record_timing)
        go.run("go", "mod", "verify")
        go.run("make", "lint")
        go.run("make", "test", timeout=1500, env={"TEST_DATABASE_URL": pg_admin_url})
        return
    python_env = python_project_env(str(updated.answers["python_version"]))
    python = ProjectCommands(updated.path, label, python_env, record_timing)
    uv = find_uv()
    python.run(uv, "sync", "--locked", timeout=900)
    python.run(uv, "run", "--no-sync", "ruff", "format", "--check", ".")
    python.run(uv, "run", "--no-sync", "ruff", "check", ".")
    python.run(uv, "run", "--no-sync", "mypy")
    python.run(
        uv, "run", "--no-sync", "pytest", "-q", timeout=900, env={"TEST_DATABASE_URL": pg_admin_url}
    )
