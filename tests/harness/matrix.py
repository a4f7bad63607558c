"""CI's slice of the test matrix; MATRIX=full runs all of it.

The contract suite runs every framework x tenancy combination (tests/contract: the default model
on both routes, the others directly). The rendered projects' own suites, which include their
PgBouncer tests, are the dear part (a render, an install, lint, type checks, the suite): the
slice runs them pairwise, so that every framework and every tenancy model has its own suite run
at least once, and every framework's as its README runs it on a bare machine.
tests/render/test_answers.py checks that this stays true as models are added.
"""

from __future__ import annotations

import os

# Answer sets whose rendered project runs its own suite in the slice (tests/project). The
# "custom" sets also render another package name and module path, which catches names
# hard-coded in configs and imports.
FASTAPI_PROJECT_SUITES = ["default", "custom", "none"]  # shared_schema, schema_per_tenant, none
GO_PROJECT_SUITES = ["go-custom"]  # database_per_tenant

# Answer sets whose project is checked as its README runs on a bare machine: `make test` and
# `make dev` with no Docker and no database settings, on a PostgreSQL the project starts.
BARE_MACHINE_SUITES = ("default", "go", "go-custom")


def full_matrix() -> bool:
    """MATRIX=full: every combination on every route, the fault suite for each, every answer
    set's own project suite and every updated project's own suite."""
    return os.environ.get("MATRIX", "") == "full"
