"""The Go flavour renders a module that is gofmt-clean, builds, vets, has a tidy go.mod/go.sum,
and whose committed generated code is exactly what its pinned generators produce.

Go's build and module caches (GOCACHE, GOMODCACHE) are the user's defaults, so every render
after the first reuses the compiled dependencies and tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import copier
import pytest

from tests.harness.render import TEMPLATE_ROOT, RenderedProject, load_answer_set

# Directories of committed generated code, and the commands that regenerate them (`make generate`).
GENERATED = ["internal/httpapi/openapi", "internal/postgres/queries"]
GENERATE = [
    ["go", "tool", "oapi-codegen", "-config", "oapi-codegen.yaml", "openapi.yaml"],
    ["go", "tool", "sqlc", "generate"],
]

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")


def go_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GOFLAGS")}
    env["GOFLAGS"] = "-mod=readonly"  # a stale go.mod or go.sum fails instead of being fixed
    return env


def go(project: Path, *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        ["go", *args],
        cwd=project,
        env=go_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"go {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def go_project(rendered: RenderedProject) -> Path:
    if rendered.answers["framework"] != "go":
        pytest.skip("not the Go flavour")
    return rendered.path


def test_go_answer_set_matches_copier_defaults(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker = copier.run_copy(
            str(TEMPLATE_ROOT),
            tmp_path / "pretend",
            data={"framework": "go"},
            defaults=True,
            unsafe=True,
            pretend=True,
            quiet=True,
        )
    defaults = {k: v for k, v in worker._answers_to_remember().items() if not k.startswith("_")}
    assert load_answer_set("go") == defaults


def test_go_module_path_is_the_answer(go_project: Path, rendered: RenderedProject) -> None:
    first = (go_project / "go.mod").read_text().splitlines()[0]
    assert first == f"module {rendered.answers['go_module']}"


def test_gofmt_is_clean(go_project: Path) -> None:
    result = subprocess.run(
        ["gofmt", "-l", "."], cwd=go_project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"files gofmt would change:\n{result.stdout}"


def test_builds_and_vets(go_project: Path) -> None:
    go(go_project, "build", "./...")
    go(go_project, "vet", "./...")


def test_go_mod_is_tidy_and_verified(go_project: Path, tmp_path: Path) -> None:
    before = {name: (go_project / name).read_bytes() for name in ("go.mod", "go.sum")}
    copy = tmp_path / "tidy"
    shutil.copytree(go_project, copy)
    result = subprocess.run(
        ["go", "mod", "tidy"],
        cwd=copy,
        env={**go_environment(), "GOFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    changed = [name for name, data in before.items() if (copy / name).read_bytes() != data]
    assert not changed, f"`go mod tidy` changes {changed}: refresh the template's go.mod/go.sum"
    go(go_project, "mod", "verify")


def test_generated_code_matches_a_fresh_generate(go_project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "regenerated"
    shutil.copytree(go_project, copy)
    for directory in GENERATED:
        for path in (copy / directory).glob("*.go"):
            path.unlink()
    for command in GENERATE:
        go(copy, *command[1:])
    drift = []
    for directory in GENERATED:
        committed = {p.name: p.read_bytes() for p in (go_project / directory).glob("*.go")}
        fresh = {p.name: p.read_bytes() for p in (copy / directory).glob("*.go")}
        for name in sorted(set(committed) | set(fresh)):
            if committed.get(name) != fresh.get(name):
                drift.append(f"{directory}/{name}")
    assert not drift, f"generated code differs from `make generate`: {drift}"


def test_make_migration_names_migrations_by_time(go_project: Path, tmp_path: Path) -> None:
    # Sequential numbers collide when two branches each add "the next" migration.
    copy = tmp_path / "project"
    shutil.copytree(go_project, copy)
    before = {p.name for p in (copy / "migrations").glob("*.sql")}
    result = subprocess.run(
        ["make", "migration", "m=add_invoices"], cwd=copy, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (created,) = {p.name for p in (copy / "migrations").glob("*.sql")} - before
    version, _, name = created.partition("_")
    assert name == "add_invoices.sql"
    assert len(version) == 14 and version.isdigit(), created  # YYYYMMDDHHMMSS, UTC
    assert int(version) > max(int(p.split("_")[0]) for p in before)
    # goose reads it: the migration package still builds, and embeds the new file.
    go(copy, "vet", "./migrations")
