"""Secrets fail closed and stay out of logs and pages.

- The server refuses to start without a strong JWT_SECRET, in every environment, with a message
  that names the setting.
- A failed write (a duplicate registration) logs neither the bound parameters (the email) nor
  the password hash.
- /docs loads no script without Subresource Integrity and sends a Content-Security-Policy;
  it is off by default in production.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from .client import ApiClient, unique_email
from .conftest import Launch
from .flavours import Flavour
from .problems import plain_client
from .server import (
    Database,
    ServerProcess,
    app_settings,
    create_database,
    drop_database,
    free_port,
    run_until_exit,
)

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]

EXIT_TIMEOUT = 60.0  # seconds; a refusing server exits long before (uv run included)


# ---------------------------------------------------------------------------- logs
def test_a_duplicate_registration_logs_no_email_and_no_hash(
    api: ApiClient, server: ServerProcess
) -> None:
    email = unique_email("private")
    assert api.register(email).status_code == 201
    mark = server.log_size()

    assert api.register(email).status_code == 409
    # The log is written asynchronously: a request after the 409 flushes the one before.
    assert api.get("/healthz").status_code == 200

    log = server.log(mark)
    assert email not in log
    assert email.split("@")[0] not in log
    assert "$argon2" not in log


# ---------------------------------------------------------------------------- docs
def test_every_docs_asset_is_pinned_with_integrity(api: ApiClient) -> None:
    page = api.get("/docs")
    assert page.status_code == 200

    tags = re.findall(r"<(?:script|link)\b[^>]*>", page.text, flags=re.IGNORECASE)
    external = [tag for tag in tags if re.search(r"\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", tag)]
    unpinned = [
        tag
        for tag in external
        if not re.search(r"\bintegrity\s*=\s*[\"']sha(256|384|512)-", tag)
        or "crossorigin" not in tag.lower()
    ]
    assert unpinned == []


def test_the_docs_page_has_a_content_security_policy(api: ApiClient) -> None:
    page = api.get("/docs")

    assert page.status_code == 200
    in_page = re.search(r"http-equiv=[\"']Content-Security-Policy[\"']", page.text, re.IGNORECASE)
    assert "content-security-policy" in page.headers or in_page


@contextlib.contextmanager
def dotenv_hidden(project: Path) -> Iterator[None]:
    """The project's .env (written at copy time: a strong JWT_SECRET, DOCS_ENABLED, ...) out of
    the way, as in a deployment of the image, which does not ship it."""
    dotenv = project / ".env"
    hidden = project / ".env.hidden-by-test"
    moved = dotenv.exists()
    if moved:
        dotenv.rename(hidden)
    try:
        yield
    finally:
        if moved:
            hidden.rename(dotenv)


@pytest.fixture(scope="module")
def production(launch: Launch, project: Path) -> Iterator[ServerProcess]:
    with contextlib.ExitStack() as stack:
        with dotenv_hidden(project):  # settings are read at start-up
            server = stack.enter_context(launch(ENVIRONMENT="production", DOCS_ENABLED=None))
        yield server


@pytest.mark.direct_only
def test_docs_are_off_by_default_in_production(production: ServerProcess) -> None:
    with plain_client(production.base_url) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/docs").status_code == 404


# ---------------------------------------------------------------------------- JWT_SECRET
@pytest.fixture(scope="module")
def migrated(flavour: Flavour, project: Path, pg_admin_url: str) -> Iterator[Database]:
    database = create_database(pg_admin_url)
    try:
        flavour.migrate(project, flavour.environment(app_settings(database)))
        yield database
    finally:
        drop_database(database)


@pytest.fixture
def without_dotenv(project: Path) -> Iterator[None]:
    with dotenv_hidden(project):
        yield


@pytest.mark.direct_only
@pytest.mark.usefixtures("without_dotenv")
@pytest.mark.parametrize(
    ("environment", "secret"),
    [
        pytest.param("development", None, id="unset"),
        pytest.param("development", "", id="empty"),
        pytest.param("development", secrets.token_hex(15) + "a", id="31-bytes"),
        pytest.param("development", "change-me" + secrets.token_hex(24), id="change-me-prefix"),
        pytest.param("production", None, id="unset-in-production"),
    ],
)
def test_the_server_refuses_to_start_without_a_strong_jwt_secret(
    flavour: Flavour,
    project: Path,
    migrated: Database,
    environment: str,
    secret: str | None,
) -> None:
    env = flavour.environment(app_settings(migrated)) | {"ENVIRONMENT": environment}
    env.pop("JWT_SECRET")
    if secret is not None:
        env["JWT_SECRET"] = secret

    port = free_port()
    code, output = run_until_exit(
        flavour.server_command(project, port), port=port, cwd=project, env=env, timeout=EXIT_TIMEOUT
    )

    assert code is not None, f"it serves instead:\n{output[-2000:]}"
    assert code != 0
    assert "JWT_SECRET" in output, output[-2000:]


@pytest.mark.direct_only
def test_the_server_refuses_an_unknown_database_pooler(
    flavour: Flavour, project: Path, migrated: Database
) -> None:
    env = flavour.environment(app_settings(migrated)) | {"DATABASE_POOLER": "session"}

    port = free_port()
    code, output = run_until_exit(
        flavour.server_command(project, port), port=port, cwd=project, env=env, timeout=EXIT_TIMEOUT
    )

    assert code is not None, f"it serves instead:\n{output[-2000:]}"
    assert code != 0
    assert "DATABASE_POOLER" in output, output[-2000:]
