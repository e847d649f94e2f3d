"""The ``conviso-vuln-<id>`` tag read back from a work item's tags (R1, reconcile)."""

from __future__ import annotations

import pytest

from sync_core.rules import vulnerability_tag
from sync_core.rules.vocabulary import tagged_vulnerability


@pytest.mark.parametrize("vulnerability_id", ["1", "abc-9.x_1", "3f2a" * 16])
def test_the_tag_written_reads_back_as_its_id(vulnerability_id: str) -> None:
    tags = ["conviso", vulnerability_tag(vulnerability_id), "team-red"]
    assert tagged_vulnerability(tags) == vulnerability_id


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        pytest.param([], None, id="no tags"),
        pytest.param(["conviso"], None, id="only the common tag"),
        pytest.param(["Conviso-Vuln-42"], "42", id="tags compare case-blind"),
        pytest.param([" conviso-vuln-42 "], "42", id="spaces around"),
        pytest.param(["conviso-vuln-1", "conviso-vuln-2"], None, id="two vulnerabilities"),
        pytest.param(["conviso-vuln-1", "CONVISO-VULN-1"], "1", id="the same one twice"),
        pytest.param(["conviso-vuln-"], None, id="no id"),
        pytest.param(["conviso-vuln-a/b"], None, id="not an id"),
        pytest.param(["conviso-vuln-" + "9" * 65], None, id="too long"),
        pytest.param(["my-conviso-vuln-7"], None, id="only a suffix"),
    ],
)
def test_only_one_plain_id_names_a_vulnerability(tags: list[str], expected: str | None) -> None:
    assert tagged_vulnerability(tags) == expected
