"""copier.yml `_tasks`: idempotent, offline, fast, and the copy-only ones never run on update.

During `copier update` tasks run up to three times (old render, project, new render), so each
task must be harmless when repeated and must not need the network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.harness.releases import TEMPLATE_ROOT, TaggedClone
from tests.harness.render import copier_config, load_answer_set
from tests.harness.update import (
    copier,
    init_repository,
    status,
    tree,
    write_data_file,
)

pytestmark = pytest.mark.update

TASK_SECONDS = 10
TASKS: list[dict[str, Any]] = [
    t if isinstance(t, dict) else {"command": t} for t in copier_config().get("_tasks") or []
]


def _is_copy_only(task: dict[str, Any]) -> bool:
    return "_copier_operation == 'copy'" in str(task.get("when", ""))


def _command(task: dict[str, Any], answers: dict[str, Any]) -> list[str]:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = {
        **answers,
        "_copier_python": sys.executable,
        "_copier_conf": {"src_path": TEMPLATE_ROOT},
        "_copier_operation": "copy",
    }
    command = task["command"]
    if isinstance(command, str):
        return ["sh", "-c", env.from_string(command).render(**context)]
    return [env.from_string(str(part)).render(**context) for part in command]


def _offline(argv: list[str]) -> list[str]:
    """Run in a network namespace without interfaces when the machine allows it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        return ["unshare", "-n", *argv]
    return argv


@pytest.mark.parametrize("index", range(len(TASKS)), ids=lambda i: f"task{i}")
def test_task_is_idempotent_offline_and_fast(
    index: int, tmp_path: Path, template_clone: TaggedClone
) -> None:
    answers = load_answer_set("default")
    data = write_data_file(tmp_path / "answers.yml", answers)
    project = tmp_path / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--skip-tasks", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(template_clone.path), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    argv = _offline(_command(TASKS[index], answers))

    snapshots = []
    for attempt in (1, 2):
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=60)
        seconds = time.perf_counter() - started
        assert proc.returncode == 0, f"run {attempt}: {proc.stdout}{proc.stderr}"
        assert seconds < TASK_SECONDS, f"run {attempt} took {seconds:.1f}s"
        snapshots.append({**tree(project), **_env(project)})
    assert snapshots[0] == snapshots[1], "the second run changed the project"


def _env(project: Path) -> dict[str, bytes]:
    env = project / ".env"
    return {".env": env.read_bytes()} if env.exists() else {}


@pytest.mark.skipif(not any(map(_is_copy_only, TASKS)), reason="no copy-only task")
def test_copy_only_tasks_do_not_run_on_update(tmp_path: Path, template_clone: TaggedClone) -> None:
    data = write_data_file(tmp_path / "answers.yml", load_answer_set("default"))
    project = tmp_path / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(template_clone.path), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    init_repository(project)
    (project / ".env").write_text("# the user's own .env\n")  # ignored by git: nothing to commit

    result = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)

    always = [t for t in TASKS if not _is_copy_only(t)]
    assert result.stdout.count("Running task") <= 3 * len(always), result.stdout
    assert (project / ".env").read_text() == "# the user's own .env\n"
    assert status(project) == ""
