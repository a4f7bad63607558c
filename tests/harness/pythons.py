"""Find a Python interpreter of a given minor version for rendered projects.

Rendered projects pin their own Python (3.13 today), which is often not the Python that runs the
template's tests. Looked up in order: `$UV_PYTHON` when it is a path, `~/.pyenv/versions/<v>.*`,
`python<v>` on PATH, then uv's own managed interpreters (`uv python find`). Each candidate is
run once to confirm its version (pyenv shims on PATH may point nowhere). `ensure_python` also
lets uv install a managed interpreter when none is found (fresh CI machines).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path


def _patch_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def _candidates(version: str) -> list[str]:
    found: list[str] = []
    if (explicit := os.environ.get("UV_PYTHON")) and os.sep in explicit:
        found.append(explicit)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    # 3.13.0, 3.13.1 ... newest first; free-threaded (3.13.0t) and dev builds are skipped.
    versions = [
        p
        for p in (pyenv_root / "versions").glob(f"{version}.*")
        if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)
    ]
    for root in sorted(versions, key=_patch_key, reverse=True):
        found.append(str(root / "bin" / f"python{version}"))
    if on_path := shutil.which(f"python{version}"):
        found.append(on_path)
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv:
        try:
            proc = subprocess.run(
                [uv, "python", "find", "--no-project", version],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            proc = None
        if proc is not None and proc.returncode == 0 and proc.stdout.strip():
            found.append(proc.stdout.strip())
    return found


def _reports_version(executable: str, version: str) -> bool:
    try:
        proc = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == version


@functools.cache
def find_python(version: str) -> str | None:
    """Path of a working `python<version>` interpreter, or None."""
    for candidate in _candidates(version):
        if Path(candidate).exists() and _reports_version(candidate, version):
            return candidate
    return None


def uv_python_request(version: str) -> str:
    """What to put in UV_PYTHON: an interpreter path, else the version (uv may download it)."""
    return ensure_python(version) or version


@functools.cache
def ensure_python(version: str) -> str | None:
    """`find_python`, else let uv install a managed interpreter (fresh CI machines)."""
    if found := find_python(version):
        return found
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        return None
    try:
        subprocess.run(
            [uv, "python", "install", version],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    find_python.cache_clear()
    return find_python(version)
