"""Running a rendered project's own commands: timed, with the tool's output on failure.

The project and update suites check rendered projects with the tools the projects themselves
use. Each command's time goes to the session's timings report; a failure (or a timeout) fails
the test with the end of the command's output, not a traceback of this module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.harness.pythons import uv_python_request

OUTPUT_LIMIT = 30_000

# Variables of the calling environment that would point a project's tools at the wrong place.
_FOREIGN = ("DATABASE_URL", "MIGRATION_DATABASE_URL", "TEST_DATABASE_URL")
_FOREIGN_PYTHON = (
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "UV_PROJECT_ENVIRONMENT",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_NO_SYNC",
)
_FOREIGN_GO = ("GOFLAGS",)


def python_project_env(python_version: str) -> dict[str, str]:
    """The environment for uv in a rendered Python project, on the Python it asks for."""
    drop = {*_FOREIGN, *_FOREIGN_PYTHON}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["UV_PYTHON"] = uv_python_request(python_version)
    return env


def go_project_env() -> dict[str, str]:
    """The environment for the go tool in a rendered Go project: go.mod/go.sum are read-only."""
    drop = {*_FOREIGN, *_FOREIGN_GO}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["GOFLAGS"] = "-mod=readonly"
    return env


def find_uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH (pip install uv)", pytrace=False)
    return uv


def _shown(command: tuple[str, ...]) -> str:
    """A command as the timings show it: `uv sync`, or `mypy` for `/path/uv run --no-sync mypy`."""
    words = [Path(command[0]).name, *command[1:]]
    if words[:3] == ["uv", "run", "--no-sync"]:
        words = words[3:]
    return " ".join(words)


@dataclass
class ProjectCommands:
    """Runs commands in `path` with `env`, recording each one's time under `label`."""

    path: Path
    label: str
    env: dict[str, str]
    record_timing: Any = field(repr=False)

    def run(self, *command: str, timeout: float = 900, env: dict[str, str] | None = None) -> str:
        shown = " ".join(command)
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                list(command),
                cwd=self.path,
                env={**self.env, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode()
            pytest.fail(
                f"`{shown}` timed out after {timeout}s in {self.path}\n{output[-OUTPUT_LIMIT:]}"
            )
        elapsed = time.perf_counter() - started
        self.record_timing(f"[{self.label}] {_shown(command)}", elapsed)
        if proc.returncode != 0:
            pytest.fail(
                f"`{shown}` failed with exit code {proc.returncode} in {self.path} "
                f"({elapsed:.1f}s):\n{_failures(proc.stdout)}{proc.stdout[-OUTPUT_LIMIT:]}",
                pytrace=False,
            )
        return proc.stdout


def _failures(output: str) -> str:
    """The lines that say what failed, when a long output would push them out of the tail
    (`go test -v`: a failing test's lines come long before the end)."""
    lines = output.splitlines()
    marks = [i for i, line in enumerate(lines) if re.match(r"\s*(--- FAIL|FAIL\b|panic:)", line)]
    if not marks or len(output) <= OUTPUT_LIMIT:
        return ""
    shown = sorted({j for i in marks for j in range(max(0, i - 20), min(len(lines), i + 5))})
    excerpt = "\n".join(lines[j] for j in shown)
    return f"--- failures, 20 lines before each\n{excerpt[: OUTPUT_LIMIT // 2]}\n--- the end\n"
