"""R4: card content. Nothing from Conviso reaches Azure DevOps as markup."""

from __future__ import annotations

from sync_core.rules import card_tags, card_title, describe

from .builders import config, vuln


def test_title_carries_the_id_and_stays_within_255_characters() -> None:
    assert card_title(vuln()) == "[Conviso #123] SQL injection in /login"
    long = card_title(vuln(title="x" * 400))
    assert len(long) == 255 and long.startswith("[Conviso #123] x") and long.endswith("…")


def test_title_is_one_line_without_control_characters() -> None:
    assert card_title(vuln(title="a\nb\tc\x00d\x1b")) == "[Conviso #123] a b cd"


def test_tags_name_the_vulnerability() -> None:
    assert card_tags("123") == ("conviso", "conviso-vuln-123")


def test_description_holds_every_field_escaped() -> None:
    html = describe(
        config(),
        vuln(
            type="SCA_FINDING",
            category="CWE-1035",
            detail={"package": "lodash", "affectedVersion": "4.17.15", "cve": "CVE-2020-8203"},
        ),
    )
    for expected in (
        "HIGH",
        "SCA_FINDING",
        "CWE-1035",
        "CVE-2020-8203",
        "lodash 4.17.15",
        "payments-api",
        "Use bound parameters.",
        "User input reaches the query.",
    ):
        assert expected in html
    assert 'href="https://app.example/spa/app/companies/77/vulnerabilities/123"' in html


def test_description_shows_file_and_line_or_url_and_method() -> None:
    assert "app/login.py:42" in describe(config(), vuln())
    dast = describe(config(), vuln(detail={"url": "https://shop.example/cart", "method": "POST"}))
    assert "POST https://shop.example/cart" in dast


def test_hostile_markup_is_escaped_everywhere() -> None:
    attack = "<script>alert(\"x\")</script><img src=x onerror='y'>"
    html = describe(
        config(),
        vuln(
            title=attack,
            description=attack,
            solution=attack,
            category=attack,
            type=attack,
            asset={"id": "9", "name": attack},
            detail={"fileName": attack, "codeSnippet": attack, "cve": attack},
        ),
    )
    assert "<script" not in html and "<img" not in html and "onerror='" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
