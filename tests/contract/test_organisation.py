"""tenancy=none: one organisation, roles held per user, the first admin made by a command.

Registering makes a member; only the project's `create-admin` command (run here through each
flavour's driver, as an operator runs it) makes an admin. A role is read on every request, so a
promotion counts from the next request, with the token the user already has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .client import PASSWORD, Account, ApiClient, unique, unique_email
from .flavours import Flavour
from .server import ServerProcess

pytestmark = [pytest.mark.contract, pytest.mark.untenanted]

PROJECTS = "/api/v1/projects"


def role_of(api: ApiClient, account: Account) -> str:
    me = api.get("/api/v1/users/me", headers=account.auth)
    assert me.status_code == 200, me.text
    return str(me.json()["role"])


def create_admin(
    flavour: Flavour, server: ServerProcess, email: str, password: str | None = None
) -> None:
    env = dict(server.env)
    env.pop("ADMIN_PASSWORD", None)
    if password is not None:
        env["ADMIN_PASSWORD"] = password
    flavour.create_admin(Path(server.cwd), env, email)


# ---------------------------------------------------------------------------- the contract
def test_the_contract_has_no_tenant_parts(contract_document: dict) -> None:
    # Without info: its description is the project's own answer (the suite's answer set says
    # "Multi-tenant backend"), not the template's.
    text = yaml.safe_dump({**contract_document, "info": {}}).lower()

    assert "tenant" not in text
    assert not [path for path in contract_document["paths"] if "member" in path]
    assert contract_document["components"]["schemas"]["Role"]["enum"] == ["admin", "member"]


# ---------------------------------------------------------------------------- roles
def test_a_registration_makes_a_member(api: ApiClient) -> None:
    assert role_of(api, api.new_account("newcomer")) == "member"


def test_create_admin_promotes_an_account_from_its_next_request(api: ApiClient) -> None:
    account = api.new_account("promoted")
    project = api.new_project(account, None)
    path = f"{PROJECTS}/{project['id']}"
    assert api.delete(path, headers=account.auth).status_code == 403

    assert api.promote is not None
    api.promote(account)

    assert role_of(api, account) == "admin"
    assert api.delete(path, headers=account.auth).status_code == 204


def test_create_admin_keeps_an_existing_accounts_password(
    api: ApiClient, flavour: Flavour, server: ServerProcess
) -> None:
    account = api.new_account("kept")

    create_admin(flavour, server, account.email, password="an entirely different secret")

    assert api.login(account.email).status_code == 200
    assert api.login(account.email, "an entirely different secret").status_code == 401
    assert role_of(api, account) == "admin"


def test_create_admin_creates_an_account_that_signs_in_as_admin(
    api: ApiClient, flavour: Flavour, server: ServerProcess
) -> None:
    email = unique_email("founder")

    create_admin(flavour, server, email, password=PASSWORD)

    tokens = api.login(email)
    assert tokens.status_code == 200, tokens.text
    me = api.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
    )
    assert (me.json()["email"], me.json()["role"]) == (email, "admin")
    assert api.register(email).status_code == 409, "one account per address"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("not-an-email", PASSWORD, id="invalid-email"),
        pytest.param(None, "short", id="short-password"),
        pytest.param(None, None, id="no-password-and-no-terminal"),
    ],
)
def test_create_admin_refuses_bad_input_and_creates_nothing(
    api: ApiClient,
    flavour: Flavour,
    server: ServerProcess,
    email: str | None,
    password: str | None,
) -> None:
    address = email or unique_email("refused")  # None: a fresh, valid address

    with pytest.raises(RuntimeError) as refused:
        create_admin(flavour, server, address, password=password)

    output = str(refused.value)
    assert "Traceback" not in output and "panic:" not in output, output
    if email is None:
        assert api.register(address).status_code == 201, "the address is still free"


# ---------------------------------------------------------------------------- projects
def test_every_user_reads_creates_and_changes_the_organisations_projects(
    api: ApiClient,
) -> None:
    author, colleague = api.new_account("author"), api.new_account("colleague")
    project = api.new_project(author, None, unique("shared"))
    path = f"{PROJECTS}/{project['id']}"

    fetched = api.get(path, headers=colleague.auth)
    changed = api.patch(path, headers=colleague.auth, json={"description": "by a colleague"})

    assert fetched.status_code == 200 and fetched.json() == project
    assert changed.status_code == 200
    assert project["id"] in {p["id"] for p in api.list_all_projects(colleague, None)}


def test_only_an_admin_deletes_a_project(api: ApiClient) -> None:
    member, admin = api.new_account("member"), api.new_owner("admin")
    path = f"{PROJECTS}/{api.new_project(member, None)['id']}"

    refused = api.delete(path, headers=member.auth)

    assert refused.status_code == 403
    assert api.get(path, headers=member.auth).status_code == 200, "a refused delete deletes nothing"
    assert api.delete(path, headers=admin.auth).status_code == 204
    assert api.get(path, headers=member.auth).status_code == 404


def test_a_project_name_is_unique_in_the_organisation(api: ApiClient) -> None:
    name = unique("taken")
    assert api.create_project(api.new_account("first"), None, name).status_code == 201

    assert api.create_project(api.new_account("second"), None, name).status_code == 409


def test_an_idempotency_key_is_the_callers_own(api: ApiClient) -> None:
    key = {"Idempotency-Key": unique("key")}
    first, second = api.new_account("first"), api.new_account("second")

    mine = api.create_project(first, None, unique("mine"), headers=key)
    theirs = api.create_project(second, None, unique("theirs"), headers=key)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"], "another user's key replayed a response"
