"""What a rendered project carries for its own template updates, for every flavour:

- pre-commit guards (includes/pre-commit-guards.yaml.jinja): `no-conflict-markers` (pygrep) and
  `no-rej-files` (fail). `pre-commit` itself would download the other hook repositories, so
  the hooks are run here the way pre-commit runs them: the pygrep pattern line by line over the
  bytes of each file, the `files` pattern with re.search over paths.
- the "Template update" workflow (includes/template-update.yml.jinja): its `run:` script is
  executed for real against projects rendered from an old release and from HEAD, with `uvx`
  replaced by this interpreter's copier.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.releases import TaggedClone
from tests.harness.render import (
    RenderFn,
    askable_questions,
    choice_values,
    copier_config,
    iter_files,
    load_answer_set,
    read_text,
)
from tests.harness.update import (
    answer_set_for,
    answers_at,
    choices_at,
    copier,
    init_repository,
    write_data_file,
)

pytestmark = pytest.mark.update

FRAMEWORKS = choice_values(askable_questions()["framework"])
PRE_COMMIT = ".pre-commit-config.yaml"
WORKFLOW = ".github/workflows/template-update.yml"


def _render(render: RenderFn, framework: str) -> Path:
    name = answer_set_for(framework)
    if name is None:
        pytest.skip(f"no answer set in tests/answers/ renders framework={framework}")
    return render(name).path


def _hooks(project: Path) -> dict[str, dict[str, Any]]:
    path = project / PRE_COMMIT
    assert path.is_file(), (
        f"this flavour renders no {PRE_COMMIT}: add template/<flavour>/{PRE_COMMIT}.jinja with "
        'repos: and {% include "includes/pre-commit-guards.yaml.jinja" %} (see template/fastapi)'
    )
    config = yaml.safe_load(path.read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def pygrep(pattern: str, path: Path) -> list[int]:
    """Line numbers pre-commit's pygrep (without --multiline) would report for a file."""
    compiled = re.compile(pattern.encode())
    with path.open("rb") as handle:
        return [number for number, line in enumerate(handle, 1) if compiled.search(line)]


def _real_conflict(tmp_path: Path) -> Path:
    """A file with the markers `copier update` leaves, made by git merge-file as copier does."""
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    base.write_text("a = 1\nb = 2\nc = 3\n")
    ours.write_text("a = 1\nb = 20\nc = 3\n")
    theirs.write_text("a = 1\nb = 200\nc = 3\n")
    subprocess.run(
        ["git", "merge-file", "-L", "before updating", "-L", "last update", "-L",
         "after updating", str(ours), str(base), str(theirs)],
        check=False,
    )  # fmt: skip
    assert "<<<<<<< before updating" in ours.read_text()
    return ours


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_conflict_marker_guard_flags_a_conflict_and_nothing_else(
    framework: str, render: RenderFn, tmp_path: Path
) -> None:
    project = _render(render, framework)
    hook = _hooks(project)["no-conflict-markers"]
    assert hook["language"] == "pygrep"

    conflicted = _real_conflict(tmp_path)
    assert pygrep(hook["entry"], conflicted) == [2, 4, 6]
    crlf = tmp_path / "crlf"
    crlf.write_bytes(conflicted.read_bytes().replace(b"\n", b"\r\n"))
    assert pygrep(hook["entry"], crlf) == [2, 4, 6]

    false_alarms = [
        f"{relative}:{lines}"
        for relative in iter_files(project)
        if read_text(project / relative) is not None
        and (lines := pygrep(hook["entry"], project / relative))
    ]
    assert false_alarms == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_rej_guard_fails_on_rej_files_only(framework: str, render: RenderFn) -> None:
    hook = _hooks(_render(render, framework))["no-rej-files"]
    assert hook["language"] == "fail"
    files = re.compile(hook["files"])
    assert files.search("src/app/config.py.rej")
    assert files.search(".env.example.rej")
    assert not files.search("src/app/config.py")
    assert not files.search("docs/rejected.md")


def _workflow_script(project: Path) -> str:
    path = project / WORKFLOW
    assert path.is_file(), (
        f"this flavour renders no {WORKFLOW}: add template/<flavour>/{WORKFLOW}.jinja holding "
        'the one line {% include "includes/template-update.yml.jinja" %}'
    )
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads on: as True
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    steps = workflow["jobs"]["check-update"]["steps"]
    (script,) = [step["run"] for step in steps if "check-update" in step.get("run", "")]
    return script


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_workflow_is_rendered_and_pins_a_copier_the_template_accepts(
    framework: str, render: RenderFn
) -> None:
    script = _workflow_script(_render(render, framework))
    pinned = re.search(r"copier==([\w.]+)", script)
    assert pinned is not None
    from packaging.version import Version

    assert Version(pinned.group(1)) >= Version(str(copier_config()["_min_copier_version"]))


def _run_workflow(project: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    uvx = bin_dir / "uvx"
    # `uvx --from copier==X copier ARGS` -> this interpreter's copier with ARGS.
    uvx.write_text(f'#!/bin/sh\nshift 3\nexec "{sys.executable}" -m copier "$@"\n')
    uvx.chmod(uvx.stat().st_mode | stat.S_IXUSR)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", _workflow_script(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return proc, summary.read_text() if summary.exists() else ""


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_workflow_reports_an_available_update(
    framework: str, template_clone: TaggedClone, tmp_path: Path
) -> None:
    info = template_clone.releases
    # The oldest release that offers the framework: Go arrived after 0.1.0.
    offering = [
        release
        for release in info.releases
        if framework in choices_at(template_clone.path, release.tag, "framework")
    ]
    if not offering:
        pytest.skip(f"framework={framework} is in no release yet: no older project to check")
    oldest = offering[0]
    if framework not in choices_at(template_clone.path, "HEAD", "framework"):
        pytest.skip(f"framework={framework} is not in the working tree's copier.yml")
    if template_clone.head_tag is None and oldest.commit == template_clone.head:
        pytest.skip("no release newer than the oldest one")

    name = answer_set_for(framework)
    if name is None:
        pytest.skip(f"no answer set in tests/answers/ renders framework={framework}")
    answers = answers_at(template_clone.path, oldest.tag, load_answer_set(name))
    data = write_data_file(tmp_path / "answers.yml", answers)
    project = tmp_path / "project"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", oldest.tag,
        "--data-file", str(data), str(template_clone.path), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    init_repository(project)
    # The old release may predate the workflow: run the one HEAD renders.
    head = tmp_path / "head"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
        "--data-file", str(data), str(template_clone.path), str(head),
        cwd=tmp_path,
    )  # fmt: skip
    (project / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (project / WORKFLOW).write_bytes((head / WORKFLOW).read_bytes())

    proc, summary = _run_workflow(project, tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    latest = template_clone.head_tag or info.latest.tag
    assert "::warning title=Template update available::" in proc.stdout
    assert f"{oldest.version} -> {latest.removeprefix('v')}" in summary
    result = json.loads((project / "check-update.json").read_text())
    assert result["update_available"] is True


def test_workflow_is_quiet_when_up_to_date(template_clone: TaggedClone, tmp_path: Path) -> None:
    data = write_data_file(tmp_path / "answers.yml", load_answer_set("default"))
    project = tmp_path / "project"
    ref = template_clone.head_tag or "HEAD"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", ref,
        "--data-file", str(data), str(template_clone.path), str(project),
        cwd=tmp_path,
    )  # fmt: skip
    init_repository(project)

    proc, summary = _run_workflow(project, tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::warning" not in proc.stdout
    assert "latest template release" in summary
