"""Render the default answers, install the project from its lock file, and run its tests.

PostgreSQL comes from DATABASE_URL (an admin URL) when set, otherwise from a throwaway server
(tests/harness/postgres.py), so this works on a machine with no database and no Docker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.postgres import admin_url  # noqa: E402
from tests.harness.pythons import uv_python_request  # noqa: E402


def main() -> int:
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-project").resolve()
    if dest.exists():
        if not (dest / ".copier-answers.yml").is_file():
            sys.exit(f"{dest} exists and is not a rendered project; pick another destination.")
        shutil.rmtree(dest)

    started = time.perf_counter()
    # Rendering the working tree (uncommitted changes included) is what a demo of it wants.
    warnings.filterwarnings("ignore", category=copier.errors.DirtyLocalWarning)
    copier.run_copy(str(ROOT), dest, defaults=True, unsafe=True, quiet=True)
    print(f"Rendered {dest} in {time.perf_counter() - started:.1f}s")

    # The project has its own environment; the template's (VIRTUAL_ENV of `uv run`) must not leak in.
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["UV_PYTHON"] = uv_python_request("3.13")
    subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=dest, env=env, check=True)
    with admin_url() as url:
        result = subprocess.run(
            ["uv", "run", "pytest", "-q"], cwd=dest, env={**env, "TEST_DATABASE_URL": url}
        )
    print(f"\nThe project is in {dest}: `cd {dest.name}` and read its README.md.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
