"""Flavour drivers: how to install, migrate and serve one framework flavour of a rendered project.

The contract tests never look inside a rendered project; everything flavour-specific lives here.
A driver is told where the rendered project is and which settings to run with (database URLs,
JWT secret - see `server.app_settings`), and answers: which copier answers select it, how to
install/build the project, which process environment carries the settings, how to migrate a
database, and which command serves HTTP on a given port. A new flavour is one more class,
registered in FLAVOURS.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import jinja2
import yaml

from tests.harness.matrix import full_matrix
from tests.harness.pythons import uv_python_request
from tests.harness.render import choice_values, questions


class Flavour(Protocol):
    name: str  # "fastapi", "go-schema_per_tenant": the framework, and the tenancy unless default
    framework: str
    tenancy: str
    answers: Mapping[str, str]  # copier answers selecting this flavour, over the answer set

    def install(self, project: Path) -> None:
        """Install dependencies / build binaries of a freshly rendered project."""

    def environment(self, settings: Mapping[str, str]) -> dict[str, str]:
        """The full environment of migrate and server processes, given the app settings."""

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        """Bring the database in env["MIGRATION_DATABASE_URL"] to the newest schema."""

    def create_admin(self, project: Path, env: Mapping[str, str], email: str) -> None:
        """Make the account an admin (tenancy=none), creating it with env["ADMIN_PASSWORD"]
        when there is none: the project's documented `create-admin` command."""

    def server_command(self, project: Path, port: int, workers: int | None = None) -> list[str]:
        """A command that serves the API on 127.0.0.1:port until it receives SIGTERM, with
        `workers` processes where the flavour has several (a Go binary is one process);
        None leaves the number to the environment (WEB_CONCURRENCY, which the bench sets)."""


def run(command: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 600) -> None:
    """Run a command; on failure raise with its output, which is what one needs to debug it."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env),
        # Never a terminal: a command that would prompt (create-admin) fails instead of hanging.
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed with exit code {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )


def base_environment() -> dict[str, str]:
    """The caller's environment minus what would make a child process use the wrong project."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    # The suite's DATABASE_URL is an admin URL; the app must never see it.
    env.pop("DATABASE_URL", None)
    return env


def read_answers(project: Path) -> dict[str, str]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def tenancy_models() -> list[str]:
    """The tenancy question's values, the default first: every flavour is run with each."""
    spec = questions()["tenancy"]
    values = choice_values(spec)
    return sorted(values, key=lambda value: value != spec["default"])


def combination_name(framework: str, tenancy: str) -> str:
    return framework if tenancy == tenancy_models()[0] else f"{framework}-{tenancy}"


class FastAPIFlavour:
    framework = "fastapi"

    def __init__(self, tenancy: str) -> None:
        self.tenancy = tenancy
        self.name = combination_name(self.framework, tenancy)
        self.answers = {"framework": self.framework, "tenancy": tenancy}

    def environment(self, settings: Mapping[str, str]) -> dict[str, str]:
        return base_environment() | dict(settings)

    def install(self, project: Path) -> None:
        # The project pins its Python (3.13), usually not the one running this suite.
        python = uv_python_request(str(read_answers(project)["python_version"]))
        run(["uv", "sync", "--locked", "--python", python], cwd=project, env=base_environment())

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        run(["uv", "run", "--no-sync", "migrate"], cwd=project, env=env)

    def create_admin(self, project: Path, env: Mapping[str, str], email: str) -> None:
        run(["uv", "run", "--no-sync", "create-admin", email], cwd=project, env=env)

    def server_command(self, project: Path, port: int, workers: int | None = None) -> list[str]:
        # The project's own server script, as its Dockerfile CMD runs it; it reads its worker
        # count from WEB_CONCURRENCY, as in the image.
        workers_setting = [] if workers is None else ["env", f"WEB_CONCURRENCY={workers}"]
        return [
            *workers_setting,
            "uv", "run", "--no-sync", "serve", "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip


class GoFlavour:
    """Builds the rendered Go project's one binary and runs its subcommands.

    The Go build and module caches are the user's defaults (GOCACHE, GOMODCACHE), so every
    combination and every run after the first reuses them.
    """

    framework = "go"
    binary = Path("bin") / "server"

    def __init__(self, tenancy: str) -> None:
        self.tenancy = tenancy
        self.name = combination_name(self.framework, tenancy)
        self.answers = {"framework": self.framework, "orm": "sqlc", "tenancy": tenancy}

    def environment(self, settings: Mapping[str, str]) -> dict[str, str]:
        return base_environment() | dict(settings)

    def install(self, project: Path) -> None:
        slug = read_answers(project)["project_slug"]
        # No -trimpath: the same build flags as the render and project suites share one cache.
        run(
            ["go", "build", "-o", str(self.binary), f"./cmd/{slug}"],
            cwd=project,
            env=base_environment(),
        )

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        run([str(project / self.binary), "migrate"], cwd=project, env=env)

    def create_admin(self, project: Path, env: Mapping[str, str], email: str) -> None:
        run([str(project / self.binary), "create-admin", email], cwd=project, env=env)

    def server_command(self, project: Path, port: int, workers: int | None = None) -> list[str]:
        # One process whatever `workers` says: goroutines serve requests concurrently.
        return [str(project / self.binary), "serve", "-addr", f"127.0.0.1:{port}"]


def offered(framework: str, tenancy: str) -> bool:
    """Whether copier.yml offers the tenancy model with the framework: a choice's validator
    greys it out (and refuses it) for the frameworks it does not fit."""
    spec = questions()["tenancy"]
    for choice in spec["choices"].values():
        if isinstance(choice, dict) and choice["value"] == tenancy and "validator" in choice:
            message = jinja2.Template(choice["validator"]).render(framework=framework)
            return not message.strip()
    return True


# Every framework with every tenancy model it is offered with ("fastapi",
# "fastapi-schema_per_tenant", "go", ...).
FLAVOURS: dict[str, Flavour] = {
    flavour.name: flavour
    for flavour_type in (FastAPIFlavour, GoFlavour)
    for tenancy in tenancy_models()
    if offered(flavour_type.framework, tenancy)
    for flavour in (flavour_type(tenancy),)
}


def sliced(tenancy: str) -> bool:
    """Whether CI's slice trims this model's contract run: every model but the default, unless
    MATRIX=full. A sliced model runs the contract suite on the direct route only (the rendered
    projects' own suites test the models behind PgBouncer), without the `tenancy_independent`
    tests that no model changes (see conftest.pytest_collection_modifyitems), with fewer
    schemathesis inputs and without the fault suite."""
    return tenancy != tenancy_models()[0] and not full_matrix()


def selected_flavours() -> list[str]:
    """CONTRACT_FLAVOURS=fastapi,go-schema_per_tenant narrows the run; by default every
    registered flavour (framework x tenancy) runs."""
    wanted = os.environ.get("CONTRACT_FLAVOURS")
    if not wanted:
        return list(FLAVOURS)
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = sorted(set(names) - set(FLAVOURS))
    if unknown:
        raise ValueError(f"CONTRACT_FLAVOURS: unknown {unknown}; known: {sorted(FLAVOURS)}")
    return names
