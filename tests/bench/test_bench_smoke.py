"""The benchmark harness still works: `python -m bench --smoke` (a second of load per endpoint).

Throughput is not judged here (the machine may be busy); the harness is: every endpoint served
only 2xx under load, pgbench replayed its statements, and the committed pgbench scripts still
match what the rendered service sends (`python -m bench --write-scripts` updates them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load import INSTALL_HINT
from tests.harness.render import TEMPLATE_ROOT

pytestmark = pytest.mark.bench


@pytest.mark.skipif(shutil.which("wrk") is None, reason=INSTALL_HINT)
def test_smoke_run_measures_every_endpoint(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--flavours", "fastapi", "--out", str(tmp_path)],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    (result,) = tmp_path.glob("*.json")
    data = json.loads(result.read_text())

    cells = data["cells"]
    assert {cell["endpoint"] for cell in cells} == {"getProject", "listProjects", "createProject"}
    for cell in cells:
        assert cell["requests"] > 0, cell
        assert cell["non_2xx"] == 0, cell
        assert cell["socket_errors"] == 0, cell
        assert cell["pgbench_tps"] > 0, cell
        assert cell["pgbench_failed"] == 0, cell
    assert data["meta"]["flavours"]["fastapi"]["scripts"] == {
        "getProject": "same",
        "listProjects": "same",
        "createProject": "same",
    }, "bench/pgbench/fastapi/ is stale: run `uv run python -m bench --smoke --write-scripts`"
    assert (tmp_path / result.name.replace(".json", ".md")).exists()
