"""Render a flavour's default project and run it the way its container image does.

The contract suite's flavour drivers (tests/contract/flavours.py) know how to install, migrate
and serve a rendered project for testing; the benchmark reuses them for migrations and for
flavours it has no release recipe for. A release recipe differs where the image differs:
dependencies without the dev group, and the server started with the Dockerfile's own CMD
(only host and port replaced) and its worker count from WEB_CONCURRENCY.
"""

from __future__ import annotations

import json
import re
import shlex
import warnings
from collections.abc import Mapping
from pathlib import Path

import copier

from tests.contract.flavours import FLAVOURS, Flavour, base_environment, read_answers, run
from tests.harness.pythons import uv_python_request
from tests.harness.render import TEMPLATE_ROOT, load_answer_set


def render(flavour: Flavour, destination: Path, template: Path = TEMPLATE_ROOT) -> Path:
    """The default answer set with the flavour's answers, rendered from the working tree (or
    from another checkout of the template, for a baseline)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # uncommitted changes are rendered on purpose
        copier.run_copy(
            src_path=str(template),
            dst_path=destination,
            data=load_answer_set("default", **flavour.answers),
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    return destination


def dockerfile_cmd(project: Path) -> list[str]:
    """The exec-form CMD of the image's final stage."""
    commands = re.findall(r"^CMD\s+(\[.*\])\s*$", (project / "Dockerfile").read_text(), re.M)
    if not commands:
        raise RuntimeError(f"{project / 'Dockerfile'}: no exec-form CMD [...] found")
    command: list[str] = json.loads(commands[-1])
    return command


def _with_address(command: list[str], port: int) -> list[str]:
    result = list(command)
    for flag, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        if flag in result:
            result[result.index(flag) + 1] = value
        else:
            result += [flag, value]
    return result


class Release:
    """How one flavour's image is built and started, on this machine."""

    # Whether WEB_CONCURRENCY means anything (worker processes); a Go binary is one process
    # that uses every core, so it runs once, whatever --workers says.
    worker_processes = False

    def __init__(self, flavour: Flavour, template: Path = TEMPLATE_ROOT, label: str = "") -> None:
        self.flavour = flavour
        self.template = template
        # "go", or "go@0.3.0" for a baseline rendered from another checkout.
        self.name = f"{flavour.name}@{label}" if label else flavour.name
        self.is_baseline = bool(label)
        self.slug = self.name.replace("@", "-at-")  # for file names ("@" means weight to pgbench)

    def install(self, project: Path) -> None:
        self.flavour.install(project)

    def environment(self, settings: Mapping[str, str], workers: int) -> dict[str, str]:
        return self.flavour.environment(settings) | {"WEB_CONCURRENCY": str(workers)}

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        self.flavour.migrate(project, env)

    def command(self, project: Path, port: int) -> list[str]:
        return self.flavour.server_command(project, port)

    def describe(self) -> str:
        return f"{self.name}: installed and served as the contract suite does"


class FastAPIRelease(Release):
    """`uv sync --locked --no-dev` (the Dockerfile's build stage), then its CMD, which runs
    uvicorn (the project's `serve` script; in older releases, uvicorn's own command)."""

    worker_processes = True

    def install(self, project: Path) -> None:
        python = uv_python_request(str(read_answers(project)["python_version"]))
        run(
            ["uv", "sync", "--locked", "--no-dev", "--python", python],
            cwd=project,
            env=base_environment(),
        )

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        # As the image migrates, with the same environment: its `migrate` script, or Alembic for
        # a baseline rendered before there was one.
        scripts = project / ".venv" / "bin"
        if (scripts / "migrate").exists():
            run([str(scripts / "migrate")], cwd=project, env=env)
        else:
            run([str(scripts / "alembic"), "upgrade", "head"], cwd=project, env=env)

    def command(self, project: Path, port: int) -> list[str]:
        command = _with_address(dockerfile_cmd(project), port)
        command[0] = str(project / ".venv" / "bin" / command[0])
        return command

    def describe(self) -> str:
        return "fastapi: uv sync --locked --no-dev; the Dockerfile's CMD (uvicorn)"


class GoRelease(Release):
    """The Dockerfile's `go build` (its flags and ENV), then the image's ENTRYPOINT + CMD."""

    binary = Path("bin") / "release"

    def install(self, project: Path) -> None:
        dockerfile = (project / "Dockerfile").read_text()
        build = re.search(
            r"\bgo build (?P<flags>.*?) -o \S+ (?P<package>\S+)\s*$", dockerfile, re.M
        )
        if build is None:
            raise RuntimeError(f"{project / 'Dockerfile'}: no `go build ... -o <out> <package>`")
        env = dict(re.findall(r"^ENV\s+(\w+)=(\S+)\s*$", dockerfile, re.M))
        run(
            ["go", "build", *shlex.split(build["flags"]), "-o", str(self.binary), build["package"]],
            cwd=project,
            env=base_environment() | env,
        )

    def migrate(self, project: Path, env: Mapping[str, str]) -> None:
        run([str(project / self.binary), "migrate"], cwd=project, env=env)

    def command(self, project: Path, port: int) -> list[str]:
        return [str(project / self.binary), *dockerfile_cmd(project), "-addr", f"127.0.0.1:{port}"]

    def describe(self) -> str:
        return "go: the Dockerfile's go build (flags, CGO_ENABLED); its CMD"


def releases(template: Path = TEMPLATE_ROOT, label: str = "") -> dict[str, Release]:
    recipes: dict[str, type[Release]] = {"fastapi": FastAPIRelease, "go": GoRelease}
    return {
        name: recipes.get(flavour.framework, Release)(flavour, template, label)
        for name, flavour in FLAVOURS.items()
    }
