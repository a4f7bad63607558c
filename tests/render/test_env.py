"""`.env` is written at copy time by hooks/make_env.py: random secrets, never in the answers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.harness.render import RenderedProject, RenderFn, copier_config, iter_files, read_text

SECRET_KEY = re.compile(r"_(SECRET|PASSWORD)$")


def parse_env(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _env(project: Path) -> dict[str, str]:
    env_file = project / ".env"
    assert env_file.is_file(), ".env was not written at copy time (hooks/make_env.py)"
    return parse_env(env_file.read_text())


def _secrets(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if SECRET_KEY.search(key)}


def test_env_has_the_keys_of_env_example(rendered: RenderedProject) -> None:
    example = parse_env((rendered.path / ".env.example").read_text())
    assert list(_env(rendered.path)) == list(example)
    assert "JWT_SECRET" in example


def test_readme_documents_every_setting_of_env_example(rendered: RenderedProject) -> None:
    # The passwords are compose's (it builds the URLs from them); everything else the service
    # or migrate reads has a row, with its default, in the README's settings table.
    example = parse_env((rendered.path / ".env.example").read_text())
    documented: set[str] = set()
    for line in (rendered.path / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    missing = [key for key in example if not key.endswith("_PASSWORD") and key not in documented]
    assert not missing, f"README.md's settings table has no row for {missing}"


def test_env_secrets_are_random_and_long(rendered: RenderedProject) -> None:
    env = _env(rendered.path)
    secrets = _secrets(env)
    assert secrets, ".env has no *_SECRET / *_PASSWORD keys"
    for key, value in secrets.items():
        assert "change-me" not in value, f"{key} kept its placeholder"
        assert len(value) >= 32, f"{key} is too short ({len(value)} characters)"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value), f"{key} needs quoting: {value!r}"
    leftovers = [key for key, value in env.items() if "change-me" in value]
    assert not leftovers, f"placeholders left in .env: {leftovers}"


def test_env_is_private(rendered: RenderedProject) -> None:
    mode = (rendered.path / ".env").stat().st_mode & 0o777
    assert mode == 0o600, f".env has mode {oct(mode)}"


def test_urls_in_env_use_the_generated_passwords(rendered: RenderedProject) -> None:
    example = parse_env((rendered.path / ".env.example").read_text())
    env = _env(rendered.path)
    for secret_key, placeholder in _secrets(example).items():
        if not placeholder.startswith("change-me"):
            continue
        for key, value in example.items():
            if key != secret_key and placeholder in value:
                assert env[secret_key] in env[key], f"{key} does not use the new {secret_key}"


def test_each_copy_gets_new_secrets(render_fresh: RenderFn) -> None:
    first = _secrets(_env(render_fresh("default").path))
    second = _secrets(_env(render_fresh("default").path))
    assert first.keys() == second.keys()
    same = [key for key in first if first[key] == second[key]]
    assert not same, f"secrets repeated between two copies: {same}"
    assert len(set(first.values())) == len(first), "two secrets of one copy are equal"


def test_secrets_appear_only_in_env(rendered: RenderedProject) -> None:
    secrets = _secrets(_env(rendered.path))
    leaks = []
    for relative in iter_files(rendered.path):
        if relative.name == ".env":
            continue
        text = read_text(rendered.path / relative) or ""
        leaks += [f"{key} in {relative}" for key, value in secrets.items() if value in text]
    assert not leaks, f"secrets copied outside .env: {leaks}"


def test_env_is_ignored_by_git(rendered: RenderedProject, tmp_path: Path) -> None:
    # A copy of the project: `git init` must not touch the session's shared render.
    project = tmp_path / "project"
    subprocess.run(["cp", "-a", str(rendered.path), str(project)], check=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)

    def ignored(name: str) -> bool:
        check = subprocess.run(["git", "check-ignore", "-q", name], cwd=project, check=False)
        return check.returncode == 0

    assert ignored(".env"), ".env must be listed in the project's .gitignore"
    assert not ignored(".env.example"), ".env.example must be committed"


def test_env_survives_updates() -> None:
    assert ".env" in copier_config().get("_skip_if_exists", [])
