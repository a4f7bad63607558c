"""What lands on disk: the expected tree, no template leftovers, every structured file parses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.harness.pythons import ensure_python
from tests.harness.render import (
    RenderedProject,
    iter_files,
    load_answer_set,
    read_text,
)

# The fixed layout of the brief, per framework; {package} is the package_name answer.
EXPECTED_FILES = {
    "fastapi": [
        ".copier-answers.yml",
        ".dockerignore",
        ".env",
        ".env.example",
        ".github/workflows/ci.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "Dockerfile",
        "Makefile",
        "client/openapi.d.ts",
        "README.md",
        "alembic.ini",
        "compose.yaml",
        "migrations/env.py",
        "migrations/versions/0001_initial.py",
        "openapi.yaml",
        "pyproject.toml",
        "src/{package}/__init__.py",
        "src/{package}/main.py",
        "src/{package}/config.py",
        "src/{package}/db.py",
        "src/{package}/api/deps.py",
        "src/{package}/api/router.py",
        "uv.lock",
    ],
    "go": [
        ".copier-answers.yml",
        ".dockerignore",
        ".env",
        ".env.example",
        ".github/workflows/ci.yml",
        ".gitignore",
        "Dockerfile",
        "Makefile",
        "client/openapi.d.ts",
        "README.md",
        "cmd/{slug}/main.go",
        "compose.yaml",
        "go.mod",
        "go.sum",
        "internal/httpapi/openapi/openapi.gen.go",
        "internal/postgres/queries/db.go",
        "migrations/00001_initial.sql",
        "oapi-codegen.yaml",
        "openapi.yaml",
        "queries/projects.sql",
        "sqlc.yaml",
    ],
}
# Template machinery that must never reach a project.
NEVER_RENDERED = ["copier.yml", "hooks", "includes", "contract", "tests/answers", "template"]
# Makefile targets every flavour offers (see STYLE.md).
MAKE_TARGETS = ["help", "dev", "test", "lint", "migrate", "openapi"]

JINJA_MARKERS = re.compile(r"\{\{|\{%")
# In Go, `{{` opens a composite literal in a composite literal (`[]T{{A: 1}}`); there only a
# Jinja expression (`{{ name }}`, `{{ name | filter }}`) or statement counts as a leftover.
GO_JINJA_MARKERS = re.compile(r"\{\{\s*[\w.]+\s*(\|[^}]*)?\}\}|\{%")
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def test_expected_files_exist(rendered: RenderedProject) -> None:
    framework = rendered.answers["framework"]
    expected = [
        name.format(
            package=rendered.answers.get("package_name", ""),
            slug=rendered.answers["project_slug"],
        )
        for name in EXPECTED_FILES[framework]
    ]
    missing = [name for name in expected if not (rendered.path / name).is_file()]
    assert not missing, f"missing from the {framework} render: {missing}"


def test_template_machinery_is_not_copied(rendered: RenderedProject) -> None:
    leaked = [name for name in NEVER_RENDERED if (rendered.path / name).exists()]
    assert not leaked, f"template files in the project: {leaked}"


def test_package_directory_follows_the_answer(rendered: RenderedProject) -> None:
    if rendered.answers["framework"] != "fastapi":
        pytest.skip("no Python package in this flavour")
    packages = sorted(p.name for p in (rendered.path / "src").iterdir() if p.is_dir())
    assert packages == [rendered.answers["package_name"]]


def test_no_leftover_jinja(rendered: RenderedProject) -> None:
    problems = []
    for relative in iter_files(rendered.path):
        if ".jinja" in relative.name or JINJA_MARKERS.search(str(relative)):
            problems.append(f"{relative}: unrendered file name")
        text = read_text(rendered.path / relative)
        if text is None:
            continue
        if relative.parts[0] == ".github":
            text = GITHUB_EXPRESSION.sub("", text)  # ${{ ... }} is GitHub Actions syntax
        markers = GO_JINJA_MARKERS if relative.suffix == ".go" else JINJA_MARKERS
        for number, line in enumerate(text.splitlines(), start=1):
            if markers.search(line):
                problems.append(f"{relative}:{number}: {line.strip()}")
    assert not problems, "Jinja left in the output:\n" + "\n".join(problems)


def test_a_project_without_tenants_has_no_tenant_parts(rendered: RenderedProject) -> None:
    # tenancy=none: the tenants feature is absent, not disabled (ADR 0015).
    if rendered.recorded.get("tenancy") != "none":
        pytest.skip("a tenanted render")
    hits = []
    for relative in iter_files(rendered.path):
        if relative.name == ".copier-answers.yml":
            continue  # it records the answer "tenancy: none"
        if "tenant" in str(relative).lower():
            hits.append(f"{relative}: file name")
        text = read_text(rendered.path / relative) or ""
        hits += [
            f"{relative}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), start=1)
            if "tenant" in line.lower()
        ]
    assert not hits, "tenant parts in a project without tenants:\n" + "\n".join(hits[:40])


def test_no_default_names_in_a_custom_render(rendered: RenderedProject) -> None:
    default = load_answer_set("default")
    changed = {
        question: default[question]
        for question in ("project_name", "project_slug", "package_name", "author_name")
        if rendered.answers.get(question, default[question]) != default[question]
    }
    if not changed:
        pytest.skip("this render uses the default names")
    hits = []
    for relative in iter_files(rendered.path):
        text = read_text(rendered.path / relative) or ""
        hits += [f"{relative}: {value!r} ({q})" for q, value in changed.items() if value in text]
    assert not hits, "hard-coded default names:\n" + "\n".join(hits)


def _structured_files(root: Path, suffixes: tuple[str, ...], names: tuple[str, ...] = ()):
    return [p for p in iter_files(root) if p.suffix in suffixes or p.name in names]


def test_yaml_files_parse(rendered: RenderedProject) -> None:
    errors = []
    files = _structured_files(rendered.path, (".yml", ".yaml"))
    assert files
    for relative in files:
        try:
            list(yaml.safe_load_all((rendered.path / relative).read_text()))
        except yaml.YAMLError as exc:
            errors.append(f"{relative}: {exc}")
    assert not errors, "\n".join(errors)


def test_toml_files_parse(rendered: RenderedProject) -> None:
    errors = []
    files = _structured_files(rendered.path, (".toml",), ("uv.lock", "staticcheck.conf"))
    assert files
    for relative in files:
        try:
            tomllib.loads((rendered.path / relative).read_text())
        except tomllib.TOMLDecodeError as exc:
            errors.append(f"{relative}: {exc}")
    assert not errors, "\n".join(errors)


def test_json_files_parse(rendered: RenderedProject) -> None:
    errors = []
    for relative in _structured_files(rendered.path, (".json",)):
        try:
            json.loads((rendered.path / relative).read_text())
        except json.JSONDecodeError as exc:
            errors.append(f"{relative}: {exc}")
    assert not errors, "\n".join(errors)


def test_pyproject_names_the_project(rendered: RenderedProject) -> None:
    if rendered.answers["framework"] != "fastapi":
        pytest.skip("no pyproject.toml in this flavour")
    pyproject = tomllib.loads((rendered.path / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == rendered.answers["project_slug"]
    assert pyproject["project"]["description"] == rendered.answers["description"]
    lock = tomllib.loads((rendered.path / "uv.lock").read_text())
    names = {package["name"] for package in lock.get("package", [])}
    assert rendered.answers["project_slug"] in names, "uv.lock does not lock the project itself"


def test_the_python_version_answer_is_the_one_uv_uses(rendered: RenderedProject) -> None:
    # Without .python-version, uv picks the newest interpreter requires-python allows (and
    # downloads it when the machine has none), not the version the project was made for.
    if rendered.answers["framework"] != "fastapi":
        pytest.skip("no Python in this flavour")
    version = rendered.answers["python_version"]
    assert (rendered.path / ".python-version").read_text() == f"{version}\n"
    pyproject = tomllib.loads((rendered.path / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"


def test_readme_sections_named_elsewhere_exist(rendered: RenderedProject) -> None:
    # The workflow and copier's message after an update send the reader to README sections.
    headings = {
        line.lstrip("#").strip()
        for line in (rendered.path / "README.md").read_text().splitlines()
        if line.startswith("#")
    }
    referrers = [rendered.path / ".github" / "workflows" / "template-update.yml"]
    named = set()
    for referrer in referrers:
        named |= set(re.findall(r'README[^"\n]*"([^"]+)"', referrer.read_text()))
    assert named, "template-update.yml names no README section any more"
    assert named <= headings, f"README.md has no section {sorted(named - headings)}"


def test_readme_first_screen_has_the_two_tested_commands(rendered: RenderedProject) -> None:
    # tests/project runs exactly these on a bare machine (no Docker, no database settings).
    readme = (rendered.path / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, flags=re.DOTALL)
    assert first_block, "README.md has no command block"
    assert readme.index(first_block.group(0)) < 400, "the commands are not on the first screen"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make dev", "make test"]


_COMPILE = """
import sys
errors = []
for path in sys.argv[1:]:
    try:
        compile(open(path, "rb").read(), path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        errors.append(f"{path}:{exc.lineno}: {exc.msg}")
print("\\n".join(errors))
sys.exit(1 if errors else 0)
"""


def test_python_compiles(rendered: RenderedProject) -> None:
    files = [str(p) for p in iter_files(rendered.path) if p.suffix == ".py"]
    if not files:
        pytest.skip("no Python files in this render")
    version = str(rendered.answers.get("python_version", "3.13"))
    python = ensure_python(version)
    if python is None:
        if sys.version_info < tuple(int(n) for n in version.split(".")):
            pytest.skip(f"no Python {version} to compile with")
        python = sys.executable
    result = subprocess.run(
        [python, "-c", _COMPILE, *files],
        cwd=rendered.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"syntax errors (Python {version}):\n{result.stdout}"


def test_shell_scripts_parse(rendered: RenderedProject) -> None:
    scripts = [p for p in iter_files(rendered.path) if p.suffix == ".sh"]
    if not scripts:
        pytest.skip("no shell scripts")
    for relative in scripts:
        check = subprocess.run(
            ["sh", "-n", str(relative)],
            cwd=rendered.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, f"{relative}: {check.stderr}"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_offers_the_common_targets(rendered: RenderedProject) -> None:
    problems = []
    for target in MAKE_TARGETS:
        dry_run = subprocess.run(
            ["make", "--dry-run", target],
            cwd=rendered.path,
            capture_output=True,
            text=True,
            check=False,
        )
        if dry_run.returncode != 0:
            problems.append(f"make {target}: {dry_run.stderr.strip()}")
    assert not problems, "\n".join(problems)


def test_make_test_does_not_print_the_database_password(
    rendered: RenderedProject, tmp_path: Path
) -> None:
    # Stand-ins for uv and go: the Makefile's own output is what is checked, not the suite.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("uv", "go"):
        stub = bin_dir / tool
        stub.write_text('#!/bin/sh\necho "$0 ran"\n')
        stub.chmod(0o755)
    password = "s3cret-of-the-test-server"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TEST_DATABASE_URL": f"postgresql://postgres:{password}@db.example:5432/postgres",
    }

    result = subprocess.run(
        ["make", "test"], cwd=rendered.path, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ran" in result.stdout, "the test command did not run"
    assert password not in result.stdout + result.stderr
    assert "testing against TEST_DATABASE_URL" in result.stdout  # it says where it tests instead
