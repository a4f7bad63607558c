"""The /docs page both flavours serve: every third-party asset pinned, nothing else allowed."""

from __future__ import annotations

import base64
import hashlib
import re

from tests.harness.render import RenderedProject

DOCS_PAGE = {"fastapi": "src/{package}/docs.html", "go": "internal/httpapi/docs.html"}


def docs_page(rendered: RenderedProject) -> str:
    answers = rendered.recorded
    relative = DOCS_PAGE[answers["framework"]].format(package=answers.get("package_name"))
    return (rendered.path / relative).read_text()


def test_every_external_asset_is_pinned_by_integrity(rendered: RenderedProject) -> None:
    page = docs_page(rendered)
    assets = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"https?://[^>]*>", page)
    assert assets, "the page loads Swagger UI from its CDN"
    for tag in assets:
        assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag), tag
        assert 'crossorigin="anonymous"' in tag, tag
        assert re.search(r"@\d+\.\d+\.\d+/", tag), f"not pinned to an exact version: {tag}"


def test_the_policy_allows_exactly_the_inline_script(rendered: RenderedProject) -> None:
    page = docs_page(rendered)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy, "the page carries a Content-Security-Policy"
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy.group(1)
    assert "default-src 'none'" in policy.group(1)
    assert "unsafe-eval" not in policy.group(1)
