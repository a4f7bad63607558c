"""Helpers for the template-lifecycle tests: run copier and git as a user would, look for conflicts.

- `copier(*args, cwd=...)`: the real `copier` command line (this interpreter's copier), output
  captured; a failure shows it.
- `git(*args, cwd=...)`, `commit_all(project, message)`: the user's repository.
- `leftover_conflicts(project)`: files with conflict markers and `.rej` files.
- `tree(project)`, `tree_differences(a, b)`: compare two projects file by file.
- `answers_at(clone, ref, answers)`: the answers a release can take (questions added later
  are dropped, so an answer set of today can render an old release).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.harness.releases import file_at
from tests.harness.render import SKIPPED_DIRS, answers_file_name

OUTPUT_LIMIT = 20_000
CONFLICT_MARKER = re.compile(rb"^(<<<<<<<|>>>>>>>)( |$)", re.M)
# Never compared: secrets written at copy time, the user's repository, tool caches.
NOT_COMPARED = {".env", ".git", *SKIPPED_DIRS}


class CommandFailed(AssertionError):
    pass


def _run(cmd: list[str], cwd: Path, timeout: float, check: bool) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise CommandFailed(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode} in {cwd}:\n"
            f"{proc.stdout[-OUTPUT_LIMIT:]}"
        )
    return proc


def copier(
    *args: str, cwd: Path, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "copier", *args], cwd, timeout, check)


def git(*args: str, cwd: Path, check: bool = True) -> str:
    return _run(["git", *args], cwd, 120, check).stdout


def init_repository(project: Path) -> None:
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Project generated from the template")


def commit_all(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("-c", "core.hooksPath=/dev/null", "commit", "--quiet", "-m", message, cwd=project)


def status(project: Path) -> str:
    """`git status --porcelain`, untracked and ignored-but-unexpected files included."""
    return git("status", "--porcelain", "--untracked-files=all", cwd=project)


def leftover_conflicts(project: Path) -> list[str]:
    """Files holding conflict markers, and `.rej` files, anywhere in the project."""
    found = []
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if relative.parts[0] == ".git" or not path.is_file():
            continue
        if path.suffix == ".rej":
            found.append(f"{relative} (rejected hunks)")
        elif CONFLICT_MARKER.search(path.read_bytes()):
            found.append(f"{relative} (conflict markers)")
    return found


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a project by relative path, minus NOT_COMPARED; `_commit` is blanked."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in NOT_COMPARED for part in relative.parts) or not path.is_file():
            continue
        data = path.read_bytes()
        if relative.as_posix() == answers_file_name():
            data = re.sub(rb"(?m)^_commit: .*$", b"_commit: <ignored>", data)
        files[relative.as_posix()] = data
    return files


def tree_differences(left: Path, right: Path) -> list[str]:
    a, b = tree(left), tree(right)
    problems = [f"only in {left.name}: {name}" for name in sorted(a.keys() - b.keys())]
    problems += [f"only in {right.name}: {name}" for name in sorted(b.keys() - a.keys())]
    for name in sorted(a.keys() & b.keys()):
        if a[name] != b[name]:
            problems.append(f"differs: {name}\n{_diff(a[name], b[name], left.name, right.name)}")
    return problems


def _diff(a: bytes, b: bytes, left: str, right: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        a.decode(errors="replace").splitlines(),
        b.decode(errors="replace").splitlines(),
        left,
        right,
        lineterm="",
        n=2,
    )
    return "\n".join(list(lines)[:60])


def questions_at(clone: Path, ref: str) -> dict[str, Any]:
    text = file_at(clone, ref, "copier.yml")
    if text is None:
        raise FileNotFoundError(f"copier.yml not found at {ref}")
    return {k: v for k, v in (yaml.safe_load(text) or {}).items() if not k.startswith("_")}


def choices_at(clone: Path, ref: str, question: str) -> list[Any]:
    from tests.harness.render import choice_values

    spec = questions_at(clone, ref).get(question)
    return choice_values(spec) if isinstance(spec, dict) else []


def answers_at(clone: Path, ref: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    known = questions_at(clone, ref)
    return {k: v for k, v in answers.items() if k in known}


def write_data_file(path: Path, answers: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(answers), sort_keys=False))
    return path


def insert(path: Path, anchor: str, text: str, *, before: bool = False) -> None:
    """Insert `text` after (or before) the one occurrence of `anchor` in a file."""
    content = path.read_text(encoding="utf-8")
    count = content.count(anchor)
    if count != 1:
        raise AssertionError(f"{path}: expected one {anchor!r}, found {count}")
    replacement = text + anchor if before else anchor + text
    path.write_text(content.replace(anchor, replacement), encoding="utf-8")


def replace_once(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    if content.count(old) != 1:
        raise AssertionError(f"{path}: expected one {old!r}, found {content.count(old)}")
    path.write_text(content.replace(old, new), encoding="utf-8")


def present(project: Path, expected: Iterable[tuple[str, str]]) -> list[str]:
    """The (file, snippet) pairs of `expected` that are missing from the project."""
    missing = []
    for relative, snippet in expected:
        path = project / relative
        if not path.is_file():
            missing.append(f"{relative}: file missing")
        elif snippet not in path.read_text(encoding="utf-8"):
            missing.append(f"{relative}: {snippet!r} missing")
    return missing


def answer_set_for(framework: str) -> str | None:
    """The answer set to render `framework` with: `default` when it is that framework, else a
    set named after the framework, else the first set that uses it; None when there is none."""
    from tests.harness.render import answer_set_names, load_answer_set

    names = answer_set_names()
    ordered = [n for n in ("default", framework) if n in names] + sorted(names)
    for name in ordered:
        if load_answer_set(name).get("framework") == framework:
            return name
    return None
