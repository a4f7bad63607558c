"""`template_clone`: this repository cloned once a session, tagged from releases.toml, the working
tree committed on top (tagged as the upcoming release). Update tests render old releases from it
and update to its top commit."""

from __future__ import annotations

import pytest

from tests.harness.releases import TaggedClone, tagged_clone


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> TaggedClone:
    return tagged_clone(tmp_path_factory.mktemp("template-releases") / "template")
