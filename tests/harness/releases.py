"""The template's releases (releases.toml) and temporary clones tagged from them.

Tags do not travel with a copy of this repository, so the list of releases lives in
`releases.toml` and everything that needs tags makes a clone and tags it:

- `load_releases()`: the releases, oldest first, with `next` and `oldest_supported`.
- `check_releases()`: problems with releases.toml and CHANGELOG.md (empty list when fine).
- `tagged_clone(dest)`: a clone of this repository in `dest`, every release tagged `v<version>`,
  the working tree (uncommitted changes included) committed on top, and that commit tagged
  `v<next>` when `next` is newer than every release. So the update tests see the work in
  progress as the upcoming release and its `_migrations` run; in CI the tree is clean and the
  top commit is HEAD.

Used by scripts/release and by tests/update and tests/interactive.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from packaging.version import InvalidVersion, Version

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]
RELEASES_FILE = "releases.toml"
CHANGELOG_FILE = "CHANGELOG.md"

# Used when the environment names no git identity (scripts/release run by hand, say).
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "copier-saas-backend release",
    "GIT_AUTHOR_EMAIL": "release@example.invalid",
    "GIT_COMMITTER_NAME": "copier-saas-backend release",
    "GIT_COMMITTER_EMAIL": "release@example.invalid",
}


class ReleaseError(RuntimeError):
    pass


@dataclass(frozen=True)
class Release:
    version: Version
    commit: str
    date: date

    @property
    def tag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class Releases:
    releases: tuple[Release, ...]  # oldest first
    next: Version
    oldest_supported: Version

    @property
    def latest(self) -> Release:
        return self.releases[-1]

    def get(self, version: str | Version) -> Release:
        wanted = Version(str(version))
        for release in self.releases:
            if release.version == wanted:
                return release
        raise KeyError(f"no release {wanted} in {RELEASES_FILE}")

    def supported(self) -> tuple[Release, ...]:
        return tuple(r for r in self.releases if r.version >= self.oldest_supported)


def _version(text: object, where: str) -> Version:
    try:
        return Version(str(text))
    except InvalidVersion as exc:
        raise ReleaseError(f"{where}: {text!r} is not a PEP 440 version") from exc


def load_releases(root: Path = TEMPLATE_ROOT) -> Releases:
    path = root / RELEASES_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = data.get("releases") or {}
    if not entries:
        raise ReleaseError(f"{path}: no [releases]")
    releases = []
    for raw_version, entry in entries.items():
        version = _version(raw_version, f"{path} [releases]")
        commit = str(entry.get("commit", ""))
        if not re.fullmatch(r"[0-9a-f]{40}", commit):
            raise ReleaseError(f"{path}: release {version}: commit must be a full 40-hex hash")
        released = entry.get("date")
        if not isinstance(released, date):
            raise ReleaseError(f"{path}: release {version}: date must be a TOML date (2026-01-31)")
        releases.append(Release(version, commit, released))
    ordered = sorted(releases, key=lambda r: r.version)
    if ordered != releases:
        raise ReleaseError(f"{path}: list the releases oldest first")
    return Releases(
        releases=tuple(ordered),
        next=_version(data.get("next", ""), f"{path} next"),
        oldest_supported=_version(
            data.get("oldest_supported", ordered[0].version), f"{path} oldest_supported"
        ),
    )


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    full_env = {**_FALLBACK_IDENTITY, **os.environ, **(env or {})}
    # Hooks and the user's own git configuration must not change what is committed or tagged.
    full_env.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    proc = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def changelog_sections(root: Path = TEMPLATE_ROOT) -> dict[str, str]:
    """`## <version>` sections of CHANGELOG.md (`## Unreleased` as "unreleased"), by version."""
    text = (root / CHANGELOG_FILE).read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for match in re.finditer(r"^## \[?([^\]\s]+)\]?[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        sections[match.group(1).lower()] = match.group(2)
    return sections


def check_releases(root: Path = TEMPLATE_ROOT) -> list[str]:
    """Everything wrong with releases.toml and CHANGELOG.md, as sentences."""
    try:
        info = load_releases(root)
    except (ReleaseError, tomllib.TOMLDecodeError, OSError) as exc:
        return [str(exc)]
    problems = []
    if info.next <= info.latest.version:
        problems.append(
            f"next = {info.next} is not newer than the latest release {info.latest.version}: "
            "bump it after adding a release"
        )
    if info.oldest_supported not in {r.version for r in info.releases}:
        problems.append(f"oldest_supported = {info.oldest_supported} is not a release")
    for release in info.releases:
        try:
            _git("cat-file", "-e", f"{release.commit}^{{commit}}", cwd=root)
        except ReleaseError:
            problems.append(f"release {release.version}: commit {release.commit} not in this repo")
    try:
        sections = changelog_sections(root)
    except OSError as exc:
        return [*problems, str(exc)]
    for release in info.releases:
        body = sections.get(str(release.version))
        if body is None:
            problems.append(f"{CHANGELOG_FILE}: no '## {release.version}' section")
        elif not re.search(r"^### Upgrading", body, re.M):
            problems.append(f"{CHANGELOG_FILE}: '## {release.version}' has no '### Upgrading'")
    text = (root / CHANGELOG_FILE).read_text(encoding="utf-8")
    for release in info.releases:
        heading = re.search(rf"^## \[?{re.escape(str(release.version))}\]?.*$", text, re.M)
        if heading and "unreleased" in heading.group(0).lower():
            problems.append(
                f"{CHANGELOG_FILE}: '## {release.version}' still says unreleased: "
                f"put its date ({release.date.isoformat()}) in the heading"
            )
    return problems


@dataclass(frozen=True)
class TaggedClone:
    path: Path
    releases: Releases
    head: str  # full hash of the top commit (the working tree)
    head_tag: str | None  # v<next> when the top commit is the upcoming release, else None
    worktree_committed: bool  # the top commit holds uncommitted changes of the source tree

    def tags(self) -> list[str]:
        return _git("tag", "--list", cwd=self.path).split()


def tagged_clone(
    dest: Path,
    *,
    source: Path = TEMPLATE_ROOT,
    include_worktree: bool = True,
    tag_next: bool = True,
) -> TaggedClone:
    """Clone `source` into `dest` (which must not exist) and tag it from releases.toml; with
    `tag_next`, the top commit is tagged as the next release too (see the module's doc)."""
    info = load_releases(source)
    _git("clone", "--quiet", "--no-checkout", str(source), str(dest), cwd=source.parent)
    # No remote: copier must never reach back to the source tree (or the network).
    _git("remote", "remove", "origin", cwd=dest)
    worktree_committed = False
    if include_worktree:
        # The source's working tree, minus what its .gitignore ignores, becomes the index.
        _git("--work-tree", str(source), "add", "--all", cwd=dest)
        if _git("diff", "--cached", "--name-only", "HEAD", cwd=dest).strip():
            _git("commit", "--quiet", "--no-verify", "-m", "Working tree (uncommitted)", cwd=dest)
            worktree_committed = True
    _git("reset", "--quiet", "--hard", "HEAD", cwd=dest)
    for release in info.releases:
        try:
            _git("tag", release.tag, release.commit, cwd=dest)
        except ReleaseError as exc:
            raise ReleaseError(
                f"release {release.version}: commit {release.commit} not found in {source}"
            ) from exc
    head = _git("rev-parse", "HEAD", cwd=dest).strip()
    head_tag = None
    released = head in {r.commit for r in info.releases}
    if tag_next and not released and info.next > info.latest.version:
        head_tag = f"v{info.next}"
        _git("tag", head_tag, head, cwd=dest)
    return TaggedClone(dest, info, head, head_tag, worktree_committed)


def file_at(clone: Path, ref: str, path: str) -> str | None:
    """A file of the template at a ref of a clone, or None when it does not exist there."""
    try:
        return _git("show", f"{ref}:{path}", cwd=clone)
    except ReleaseError:
        return None


def add_release(version: str, commit: str, released: date, *, root: Path = TEMPLATE_ROOT) -> str:
    """Append a release line to releases.toml (and bump `next` past it); return the line."""
    info = load_releases(root)
    new = _version(version, "version")
    if new <= info.latest.version:
        raise ReleaseError(f"{new} is not newer than the latest release {info.latest.version}")
    full = _git("rev-parse", "--verify", f"{commit}^{{commit}}", cwd=root).strip()
    if str(new) not in changelog_sections(root):
        raise ReleaseError(f"{CHANGELOG_FILE} has no '## {new}' section: write it first")
    path = root / RELEASES_FILE
    text = path.read_text(encoding="utf-8")
    line = f'"{new}" = {{ commit = "{full}", date = {released.isoformat()} }}'
    if info.next <= new:
        following = Version(f"{new.major}.{new.minor + 1}.0")
        text = re.sub(r'(?m)^next = ".*"$', f'next = "{following}"', text, count=1)
    path.write_text(text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")
    return line
