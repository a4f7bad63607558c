"""Schemathesis explores the contract against the running server and must find nothing.

It runs as its CLI (the documented interface) with an authenticated user acting in one tenant
(under tenancy=none, an admin of the organisation).
Every finding is a defect of the app or of the contract: fix that, never weaken the checks.
The seed is fixed, so a failure reproduces by rerunning this test; the report shows the exact
command and each finding as curl. CONTRACT_SCHEMATHESIS_SEED and CONTRACT_SCHEMATHESIS_EXAMPLES
change the seed and the number of examples per operation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .client import ApiClient
from .flavours import Flavour, sliced
from .server import ServerProcess

pytestmark = pytest.mark.contract

# positive_data_acceptance stays off: it counts designed rejections (a stale If-Match, a reused
# Idempotency-Key, a cursor the API never issued) as failures.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
)
SEED = os.environ.get("CONTRACT_SCHEMATHESIS_SEED", "20250101")
MAX_EXAMPLES = os.environ.get("CONTRACT_SCHEMATHESIS_EXAMPLES", "50")
# CI's slice explores the other tenancy models' contract with fewer inputs: the inputs reach the
# same validation code in every model, which the default model's run explores in full.
SLICED_EXAMPLES = os.environ.get("CONTRACT_SCHEMATHESIS_SLICED_EXAMPLES", "20")
# Through PgBouncer a short run: what the pooler breaks (session state, named prepared
# statements) breaks on any query of an operation, not on one generated input among many, and
# the direct route already explores the inputs. Every operation still runs through the pooler.
POOLED_EXAMPLES = os.environ.get("CONTRACT_SCHEMATHESIS_POOLED_EXAMPLES", "10")
TIMEOUT = 600  # seconds; a healthy run takes a couple of minutes


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of printable ASCII is a TOML basic string


def write_config(path: Path, *, access_token: str, tenant_id: str | None) -> Path:
    lines = ["[auth.openapi.bearerAuth]", f"bearer = {toml_string(access_token)}", ""]
    if tenant_id is not None:  # under tenancy=none requests name no tenant
        header = toml_string("header.X-Tenant-ID")
        lines += ["[parameters]", f"{header} = {toml_string(tenant_id)}", ""]
    path.write_text("\n".join(lines))
    return path


def max_examples(flavour: Flavour, route: str) -> str:
    if route != "direct":
        return POOLED_EXAMPLES
    return SLICED_EXAMPLES if sliced(flavour.tenancy) else MAX_EXAMPLES


def test_schemathesis_finds_no_contract_violations(
    api: ApiClient,
    server: ServerProcess,
    project: Path,
    flavour: Flavour,
    route: str,
    tmp_path: Path,
) -> None:
    account = api.new_owner("schemathesis")
    tenant = api.new_scope(account)
    api.new_project(account, tenant)
    config = write_config(
        tmp_path / "schemathesis.toml", access_token=account.access_token, tenant_id=tenant
    )
    command = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(config),
        "run", str(project / "openapi.yaml"),
        "--url", server.base_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", max_examples(flavour, route),
        "--seed", SEED,
        # One worker: schemathesis' threads hit a CPython 3.11 ast.parse race in hypothesis.
        "--workers", "1",
        "--no-color",
        "--report", "junit",
        "--report-dir", str(tmp_path / "report"),
    ]  # fmt: skip

    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    print(result.stdout)  # the run's summary, shown with `pytest -rP`

    assert result.returncode == 0, (
        f"schemathesis found problems (exit code {result.returncode})\n"
        f"reproduce: {' '.join(command)}\n\n{result.stdout}\n{result.stderr}"
    )
