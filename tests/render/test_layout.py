"""The template's layout rules (ADR 0001, ADR 0012): a file carries `.jinja` only where
something is templated, and options own whole files rather than `{% if %}` blocks inside them.

copier.yml and the contract (contract/) are exempt from the conditional budget: the questions
and the API's shape are where options are decided.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness.render import TEMPLATE_ROOT

JINJA = re.compile(r"{{|{%|{#")
CONDITIONAL = re.compile(r"{%-?\s*(?:if|elif)\b")
# In-file conditionals per file of template/ and includes/: past this, the option should own
# a file of its own (a conditional file name, or an `_exclude` entry in copier.yml).
BUDGET = 2


def _files(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in (TEMPLATE_ROOT / root).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "path", _files("template"), ids=lambda p: str(p.relative_to(TEMPLATE_ROOT))
)
def test_a_jinja_suffix_means_templated(path: Path) -> None:
    if path.suffix == ".jinja":
        assert JINJA.search(path.read_text()), f"{path.name}: no Jinja inside, drop the suffix"


def test_in_file_conditionals_stay_rare() -> None:
    over = {
        str(path.relative_to(TEMPLATE_ROOT)): count
        for path in _files("template", "includes")
        if (count := len(CONDITIONAL.findall(path.read_text(errors="replace")))) > BUDGET
    }
    assert not over, f"more than {BUDGET} {{% if %}} in: {over}"
