"""R4: what a card says. Every string from Conviso is untrusted — it comes from scanned
code and scanner output — so nothing of it reaches Azure DevOps as markup.

The description is HTML assembled from fixed tags and ``html.escape``d values only. The
title is a plain-text field in Azure Boards (shown as text, never rendered as HTML), so it
is kept readable instead of entity-escaped, with control characters removed.
"""

from __future__ import annotations

import html
import re

from .models import IntegrationConfig, Vulnerability
from .vocabulary import CONVISO_TAG, vulnerability_tag

__all__ = [
    "MAX_SECTION_CHARS",
    "MAX_TITLE_CHARS",
    "card_tags",
    "card_title",
    "describe",
    "history_note",
    "vulnerability_url",
]

MAX_TITLE_CHARS = 255  # System.Title limit
MAX_SECTION_CHARS = 8_000  # keeps a whole description well under Azure DevOps' field limits
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_title(vulnerability: Vulnerability) -> str:
    """``[Conviso #<id>] <title>``, one line, at most 255 characters."""
    clean = _WHITESPACE.sub(" ", _CONTROL.sub("", vulnerability.title)).strip()
    return _clip(
        f"[Conviso #{vulnerability.id}] {clean or 'Untitled vulnerability'}", MAX_TITLE_CHARS
    )


def card_tags(vulnerability_id: str) -> tuple[str, ...]:
    return (CONVISO_TAG, vulnerability_tag(vulnerability_id))


def vulnerability_url(config: IntegrationConfig, vulnerability_id: str) -> str:
    """The link back to the vulnerability in the Conviso portal (Hyperlink relation, R1)."""
    portal, company = config.conviso.portal_url, config.conviso.company_id
    return f"{portal}/spa/app/companies/{company}/vulnerabilities/{vulnerability_id}"


def _text(value: object) -> str:
    """Escape a value for HTML body text, quotes included, keeping its line breaks."""
    escaped = html.escape(_clip(_CONTROL.sub("", str(value)), MAX_SECTION_CHARS), quote=True)
    return escaped.replace("\r\n", "\n").replace("\n", "<br/>")


def _row(label: str, value: object | None) -> str:
    if value is None or value == "":
        return ""
    return f"<tr><th>{html.escape(label)}</th><td>{_text(value)}</td></tr>"


def _location(vulnerability: Vulnerability) -> str | None:
    detail = vulnerability.detail
    if detail.file_name:
        line = detail.vulnerable_line or detail.first_line
        return f"{detail.file_name}:{line}" if line else detail.file_name
    if detail.url:
        return f"{detail.method} {detail.url}" if detail.method else detail.url
    if detail.address:
        return f"{detail.address}:{detail.port}" if detail.port else detail.address
    return None


def _package(vulnerability: Vulnerability) -> str | None:
    detail = vulnerability.detail
    if not detail.package:
        return None
    parts = [detail.package]
    if detail.affected_version:
        parts.append(detail.affected_version)
    if detail.patched_version:
        parts.append(f"(fixed in {detail.patched_version})")
    return " ".join(parts)


def describe(config: IntegrationConfig, vulnerability: Vulnerability) -> str:
    """The card's HTML description: fixed markup around escaped values only."""
    v = vulnerability
    rows = "".join(
        [
            _row("Severity", v.severity.value if v.severity else None),
            _row("Type", v.type),
            _row("CWE", v.category),
            _row("CVE", v.detail.cve),
            _row("Package", _package(v)),
            _row("Location", _location(v)),
            _row("Asset", f"{v.asset.name} (#{v.asset.id})" if v.asset.name else f"#{v.asset.id}"),
        ]
    )
    parts = [f"<table>{rows}</table>"]
    if v.description:
        parts.append(f"<h3>Description</h3><p>{_text(v.description)}</p>")
    if v.solution:
        parts.append(f"<h3>Solution</h3><p>{_text(v.solution)}</p>")
    if v.detail.code_snippet:
        parts.append(f"<h3>Code</h3><pre>{_text(v.detail.code_snippet)}</pre>")
    url = html.escape(vulnerability_url(config, v.id), quote=True)
    parts.append(f'<p><a href="{url}">Open vulnerability #{html.escape(v.id)} in Conviso</a></p>')
    return "".join(parts)


def history_note(text: str) -> str:
    """A discussion entry (System.History is HTML too): escaped, never raw."""
    return f"<p>{_text(text)}</p>"
