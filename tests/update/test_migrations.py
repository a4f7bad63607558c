"""The `_migrations` machinery: hooks/migrate_move.py carries a user's edits across a file move.

No release so far moves a file (releases.toml, CHANGELOG.md), so these tests make a test-only
release in a throwaway clone: on top of the working tree, a commit that moves
docker/postgres/create-app-role.sh to docker/postgres/10-create-app-role.sh (and changes its
last line), with the `_migrations` entry such a release needs, tagged as the release after the
upcoming one. A project rendered from the working tree is then updated to it:

- edited by the user: the edit lands in the new file next to the template's change, the old
  file is gone, no conflicts;
- untouched: the new file is exactly the fresh render, the old file is gone;
- without the migration entry, copier itself drops the edited file (why the hook exists).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from tests.harness.releases import TaggedClone, _git, tagged_clone
from tests.harness.render import load_answer_set
from tests.harness.update import (
    commit_all,
    copier,
    init_repository,
    leftover_conflicts,
    write_data_file,
)

pytestmark = pytest.mark.update

OLD = "docker/postgres/create-app-role.sh"
NEW = "docker/postgres/10-create-app-role.sh"
TEMPLATE_DIR = "template/fastapi"
TEMPLATE_LINE = "# docker-entrypoint-initdb.d runs these scripts in name order.\n"
USER_LINE = 'echo "creating the role the service connects as"\n'

MIGRATION = {
    "command": [
        "{{ _copier_python }}",
        "{{ _copier_conf.src_path }}/hooks/migrate_move.py",
        "--template={{ _copier_conf.src_path }}",
        "--from={{ _version_from }}",
        OLD,
        NEW,
    ],
}


def _test_release(clone: TaggedClone, *, with_migration: bool) -> str:
    """Commit a test-only release that moves OLD to NEW; return its tag."""
    info = clone.releases
    base = max(info.latest.version, info.next if clone.head_tag else info.latest.version)
    version = Version(f"{base.major}.{base.minor}.{base.micro + 1}")
    old_src = clone.path / TEMPLATE_DIR / f"{OLD}.jinja"
    new_src = clone.path / TEMPLATE_DIR / f"{NEW}.jinja"
    _git("mv", str(old_src), str(new_src), cwd=clone.path)
    text = new_src.read_text()
    new_src.write_text(text + ("" if text.endswith("\n") else "\n") + TEMPLATE_LINE)
    if with_migration:
        config_path = clone.path / "copier.yml"
        config = yaml.safe_load(config_path.read_text())
        config["_migrations"] = [
            *(config.get("_migrations") or []),
            {"version": str(version), **MIGRATION},
        ]
        config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    _git("add", "--all", cwd=clone.path)
    _git("commit", "--quiet", "--no-verify", "-m", f"Test release {version}", cwd=clone.path)
    tag = f"v{version}"
    _git("tag", tag, cwd=clone.path)
    return tag


def _project(clone: TaggedClone, where: Path, *, edit: bool) -> Path:
    answers = load_answer_set("default")
    data = write_data_file(where / "answers.yml", answers)
    project = where / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(clone.path), str(project),
        cwd=where,
    )  # fmt: skip
    init_repository(project)
    if edit:
        script = project / OLD
        first, rest = script.read_text().split("\n", 1)
        script.write_text(f"{first}\n{USER_LINE}{rest}")
        commit_all(project, "Log what the init script does")
    return project


@pytest.fixture
def clone(tmp_path: Path) -> TaggedClone:
    return tagged_clone(tmp_path / "template")


def test_migration_carries_the_users_edit_to_the_moved_file(
    clone: TaggedClone, tmp_path: Path
) -> None:
    project = _project(clone, tmp_path, edit=True)
    tag = _test_release(clone, with_migration=True)

    result = copier("update", "--trust", "--defaults", "--vcs-ref", tag, cwd=project)

    assert leftover_conflicts(project) == [], result.stdout
    assert not (project / OLD).exists()
    moved = (project / NEW).read_text()
    assert USER_LINE in moved, result.stdout
    assert moved.endswith(TEMPLATE_LINE)
    assert moved.startswith("#!/bin/sh\n" + USER_LINE)
    assert f"merged your changes of {OLD} into {NEW}" in result.stdout
    assert f"_commit: {tag}" in (project / ".copier-answers.yml").read_text()


def test_migration_leaves_an_untouched_file_as_the_template_renders_it(
    clone: TaggedClone, tmp_path: Path
) -> None:
    project = _project(clone, tmp_path, edit=False)
    tag = _test_release(clone, with_migration=True)
    fresh = tmp_path / "fresh"
    copier("update", "--trust", "--defaults", "--vcs-ref", tag, cwd=project)
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", tag,
        "--data-file", str(tmp_path / "answers.yml"), str(clone.path), str(fresh),
        cwd=tmp_path,
    )  # fmt: skip

    assert not (project / OLD).exists()
    assert (project / NEW).read_bytes() == (fresh / NEW).read_bytes()


def test_without_the_migration_copier_drops_the_edited_file(
    clone: TaggedClone, tmp_path: Path
) -> None:
    """The premise of hooks/migrate_move.py, pinned so a copier upgrade that changes it shows."""
    project = _project(clone, tmp_path, edit=True)
    tag = _test_release(clone, with_migration=False)

    copier("update", "--trust", "--defaults", "--vcs-ref", tag, cwd=project)

    assert not (project / OLD).exists()
    assert USER_LINE not in (project / NEW).read_text()
