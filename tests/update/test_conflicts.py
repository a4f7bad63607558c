"""A conflicting update is visible, caught by the guard, and recoverable as the README says.

A test-only release (in a throwaway clone) changes the line of health.py the user changed too.
After `copier update`: conflict markers in that file (copier exits 0 anyway), `git diff --check`
and the `no-conflict-markers` pre-commit pattern find them, git lists the file as unmerged, and
`git reset --hard && git clean -fd` returns to the last commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.harness.releases import _git, tagged_clone
from tests.harness.render import load_answer_set
from tests.harness.update import (
    commit_all,
    copier,
    git,
    init_repository,
    leftover_conflicts,
    replace_once,
    status,
    write_data_file,
)
from tests.update.test_project_guards import pygrep

pytestmark = pytest.mark.update

HEALTH = "src/{{ package_name }}/health.py"
LINE = "READINESS_TIMEOUT_SECONDS = 2"


def test_a_conflicting_update_is_flagged_and_recoverable(tmp_path: Path) -> None:
    clone = tagged_clone(tmp_path / "template").path
    template_file = clone / "template" / "fastapi" / HEALTH
    if LINE not in template_file.read_text():
        pytest.skip(f"{HEALTH} no longer has {LINE!r}; pick another line for this test")
    answers = load_answer_set("default")
    data = write_data_file(tmp_path / "answers.yml", answers)
    project = tmp_path / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(clone), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    init_repository(project)
    health = project / HEALTH.replace("{{ package_name }}", answers["package_name"])
    replace_once(health, LINE, "READINESS_TIMEOUT_SECONDS = 5")
    commit_all(project, "A longer readiness timeout")
    last_commit = git("rev-parse", "HEAD", cwd=project).strip()
    # The template's next (test-only) release changes the same line.
    replace_once(template_file, LINE, "READINESS_TIMEOUT_SECONDS = 3")
    _git("commit", "--quiet", "--no-verify", "-am", "Test-only: timeout 3", cwd=clone)
    _git("tag", "v99.0.0", cwd=clone)

    result = copier("update", "--trust", "--defaults", "--vcs-ref", "v99.0.0", cwd=project)

    relative = health.relative_to(project).as_posix()
    assert result.returncode == 0  # copier does not fail on conflicts: hence the checks below
    assert leftover_conflicts(project) == [f"{relative} (conflict markers)"]
    check = subprocess.run(["git", "diff", "--check"], cwd=project, capture_output=True, text=True)
    assert check.returncode != 0 and relative in check.stdout
    assert any(
        line[:2] in {"UU", "AA"} and relative in line for line in status(project).splitlines()
    )
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    (guard,) = [h for r in config["repos"] for h in r["hooks"] if h["id"] == "no-conflict-markers"]
    assert pygrep(guard["entry"], health)

    git("reset", "--quiet", "--hard", cwd=project)
    git("clean", "-fdq", cwd=project)
    assert status(project) == ""
    assert git("rev-parse", "HEAD", cwd=project).strip() == last_commit
    assert "READINESS_TIMEOUT_SECONDS = 5" in health.read_text()
