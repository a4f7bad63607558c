"""releases.toml, CHANGELOG.md and scripts/release: the list of releases stands in for git tags."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.harness.releases import (
    TEMPLATE_ROOT,
    ReleaseError,
    TaggedClone,
    _git,
    add_release,
    check_releases,
    load_releases,
    tagged_clone,
)

pytestmark = pytest.mark.update


def test_releases_and_changelog_agree() -> None:
    assert check_releases() == []


def test_the_first_release_is_the_fastapi_foundation() -> None:
    first = load_releases().releases[0]
    assert str(first.version) == "0.1.0"
    assert first.commit.startswith("ed2eb7b")


def test_clone_is_tagged_from_the_list(template_clone: TaggedClone) -> None:
    info = template_clone.releases
    for release in info.releases:
        tagged = _git("rev-parse", f"{release.tag}^{{commit}}", cwd=template_clone.path).strip()
        assert tagged == release.commit
    expected = {r.tag for r in info.releases} | (
        {template_clone.head_tag} if template_clone.head_tag else set()
    )
    assert set(template_clone.tags()) == expected
    # The top commit is the working tree, uncommitted changes included.
    for name in ("copier.yml", "releases.toml", "CHANGELOG.md"):
        assert (template_clone.path / name).read_bytes() == (TEMPLATE_ROOT / name).read_bytes()


def test_adding_a_release_is_one_line_and_a_changelog_section(tmp_path: Path) -> None:
    root = tagged_clone(tmp_path / "repo").path
    info = load_releases(root)
    version = str(info.next)
    before = (root / "releases.toml").read_text().splitlines()

    line = add_release(version, "HEAD", date(2030, 1, 31), root=root)

    after = (root / "releases.toml").read_text().splitlines()
    added = [entry for entry in after if entry not in before]
    assert line in added
    assert len(added) == 2  # the release line, and `next` bumped past it
    assert str(load_releases(root).latest.version) == version
    assert load_releases(root).next > info.next
    # The CHANGELOG heading must lose its "unreleased" before the check passes.
    changelog = root / "CHANGELOG.md"
    if any("unreleased" in p for p in check_releases(root)):
        changelog.write_text(
            re.sub(rf"(?m)^## {re.escape(version)} .*$", f"## {version} (2030-01-31)",
                   changelog.read_text())
        )  # fmt: skip
    assert check_releases(root) == []


def test_a_release_without_changelog_section_is_refused(tmp_path: Path) -> None:
    root = tagged_clone(tmp_path / "repo").path
    with pytest.raises(ReleaseError, match=re.escape("no '## 9.0.0' section")):
        add_release("9.0.0", "HEAD", date(2030, 1, 31), root=root)


def test_scripts_release_check_and_clone(tmp_path: Path) -> None:
    script = TEMPLATE_ROOT / "scripts" / "release.py"
    check = subprocess.run([sys.executable, script, "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    clone = subprocess.run(
        [sys.executable, script, "clone", str(tmp_path / "c")], capture_output=True, text=True
    )
    assert clone.returncode == 0, clone.stderr
    assert "v0.1.0" in clone.stdout


def test_a_clone_to_publish_tags_released_versions_only(tmp_path: Path) -> None:
    # `copier copy` without --vcs-ref takes the newest tag: an unreleased HEAD must not have one.
    script = TEMPLATE_ROOT / "scripts" / "release.py"
    info = load_releases(TEMPLATE_ROOT)
    released = {release.tag for release in info.releases}

    subprocess.run([sys.executable, script, "clone", str(tmp_path / "c")], check=True)
    subprocess.run([sys.executable, script, "clone", "--preview", str(tmp_path / "p")], check=True)

    assert set(_git("tag", "--list", cwd=tmp_path / "c").split()) == released
    assert _git("status", "--porcelain", cwd=tmp_path / "c") == ""
    assert set(_git("tag", "--list", cwd=tmp_path / "p").split()) == released | {f"v{info.next}"}
