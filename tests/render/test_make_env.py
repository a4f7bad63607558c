"""hooks/make_env.py on its own: the placeholder convention, idempotence, failure modes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.harness.render import TEMPLATE_ROOT

HOOK = TEMPLATE_ROOT / "hooks" / "make_env.py"

EXAMPLE = """\
# a comment mentioning change-me-jwt-secret stays as it is
ENVIRONMENT=development
POSTGRES_PASSWORD=change-me-postgres-password
APP_DB_PASSWORD=change-me-app-db-password
DATABASE_URL=postgresql://app:change-me-app-db-password@localhost:5432/app
MIGRATION_DATABASE_URL=postgresql://owner:change-me-postgres-password@localhost:5432/app
export JWT_SECRET="change-me-jwt-secret"  # quoted, with a comment
SMTP_PASSWORD=
LOG_LEVEL=INFO
"""


def run_hook(project: Path) -> subprocess.CompletedProcess[str]:
    # Like copier's task: the project is the working directory, no arguments.
    return subprocess.run(
        [sys.executable, str(HOOK)], cwd=project, capture_output=True, text=True, check=False
    )


def env_of(text: str) -> dict[str, str]:
    result = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.removeprefix("export ").partition("=")
            result[key] = value.split("  #")[0].strip('"')
    return result


def test_secrets_are_replaced_and_urls_follow(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    assert run_hook(tmp_path).returncode == 0
    text = (tmp_path / ".env").read_text()
    env = env_of(text)

    assert "change-me" not in "".join(line for line in text.splitlines() if line[:1] != "#")
    assert text.splitlines()[0] == EXAMPLE.splitlines()[0]
    assert env["ENVIRONMENT"] == "development" and env["LOG_LEVEL"] == "INFO"
    assert len(env["JWT_SECRET"]) >= 64
    assert len(env["POSTGRES_PASSWORD"]) >= 32 and len(env["APP_DB_PASSWORD"]) >= 32
    assert len(env["SMTP_PASSWORD"]) >= 32
    assert env["DATABASE_URL"] == f"postgresql://app:{env['APP_DB_PASSWORD']}@localhost:5432/app"
    assert (
        env["MIGRATION_DATABASE_URL"]
        == f"postgresql://owner:{env['POSTGRES_PASSWORD']}@localhost:5432/app"
    )
    assert 'export JWT_SECRET="' in text and "# quoted, with a comment" in text
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_existing_env_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    (tmp_path / ".env").write_text("JWT_SECRET=mine\n")
    assert run_hook(tmp_path).returncode == 0
    assert (tmp_path / ".env").read_text() == "JWT_SECRET=mine\n"


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    run_hook(tmp_path)
    first = (tmp_path / ".env").read_text()
    assert run_hook(tmp_path).returncode == 0
    assert (tmp_path / ".env").read_text() == first


def test_shared_placeholder_means_shared_value(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "A_PASSWORD=change-me-db-password\nB_PASSWORD=change-me-db-password\n"
        "C_PASSWORD=change-me-db-password-2\n"
    )
    run_hook(tmp_path)
    env = env_of((tmp_path / ".env").read_text())
    assert env["A_PASSWORD"] == env["B_PASSWORD"] != env["C_PASSWORD"]


def test_orphan_placeholder_fails_without_writing(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "APP_DB_PASSWORD=change-me-app-db-password\n"
        "DATABASE_URL=postgresql://app:change-me-typo-password@localhost/app\n"
    )
    result = run_hook(tmp_path)
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_missing_example_is_reported_not_fatal(tmp_path: Path) -> None:
    result = run_hook(tmp_path)
    assert result.returncode == 0
    assert ".env.example" in result.stderr
    assert not (tmp_path / ".env").exists()
