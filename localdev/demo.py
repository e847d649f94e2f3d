"""``python -m localdev.demo`` (``make demo``): the whole sync, both ways, in under a minute.

In one process it starts Azurite, the Azure Boards and Conviso emulators and the development
host over the real ``function_app``; configures one integration (PRODUCT.md §4's example,
pointed at the emulators); sends a handful of signed Conviso events (SAST, SCA with a CVE,
DAST); prints which work item each vulnerability became, or why it was skipped; moves a card
as a person would; prints the Conviso status that followed; and stops everything. Nothing is
kept: storage is in memory and the secrets are made up for the run.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any, TextIO

import httpx
from cryptography.fernet import Fernet

from localdev.azurite import start_azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from localdev.devhost import DevHost, load_app
from localdev.example_config import example_configuration

INTEGRATION = "demo"
COMPANY = "77"
CONVISO_KEY = "demo-conviso-key"
EVENT_SECRET = "demo-event-secret"
HOOK_TOKEN = "demo-hook-token"
WAIT_SECONDS = 30.0
PERSON = "Jamal Hartnett"

#: (asset id, asset name): 9 takes the default route, 45 has its own (custom) route
ASSETS = {"9": "webshop", "45": "payments-api"}

#: realistic findings, one per kind of scan; the LOW one is outside the severity policy
VULNERABILITIES: list[dict[str, Any]] = [
    {
        "asset_id": "9",
        "type": "SAST_FINDING",
        "severity": "HIGH",
        "title": "SQL injection in /login",
        "category": "CWE-89",
        "description": "User input reaches a SQL query without parameters.",
        "solution": "Use bound parameters (cursor.execute(sql, params)).",
        "detail": {"fileName": "app/login.py", "vulnerableLine": 42, "firstLine": 40},
    },
    {
        "asset_id": "45",
        "type": "SCA_FINDING",
        "severity": "CRITICAL",
        "title": "Prototype pollution in lodash (CVE-2020-8203)",
        "category": "CWE-1321",
        "description": "zipObjectDeep lets an attacker add properties to Object.prototype.",
        "solution": "Upgrade lodash to 4.17.19 or later.",
        "detail": {
            "package": "lodash",
            "affectedVersion": "4.17.15",
            "patchedVersion": "4.17.19",
            "cve": "CVE-2020-8203",
            "fileName": "package-lock.json",
        },
    },
    {
        "asset_id": "9",
        "type": "DAST_FINDING",
        "severity": "MEDIUM",
        "title": "Reflected XSS in search",
        "category": "CWE-79",
        "description": "The q parameter is echoed into the page unescaped.",
        "solution": "Encode output for its HTML context.",
        "detail": {"url": "https://shop.example.test/search?q=", "method": "GET"},
    },
    {
        "asset_id": "9",
        "type": "DAST_FINDING",
        "severity": "LOW",
        "title": "Missing Content-Security-Policy header",
        "category": "CWE-693",
        "description": "Responses carry no Content-Security-Policy.",
        "solution": "Send a restrictive Content-Security-Policy.",
        "detail": {"url": "https://shop.example.test/", "method": "GET"},
    },
]


def integration_config(boards: BoardsEmulator) -> dict[str, Any]:
    """PRODUCT.md §4's example configuration, pointed at the emulators."""
    return example_configuration(
        boards, company=COMPANY, api_key=CONVISO_KEY, event_secret=EVENT_SECRET,
        hook_token=HOOK_TOKEN, portal_url="https://app.convisoappsec.com",
    )  # fmt: skip


@contextmanager
def _environment(settings: Mapping[str, str]) -> Iterator[None]:
    """The app reads its settings from the environment; put them back afterwards."""
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _wait(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited {timeout:.0f} s for {what}")
        time.sleep(0.05)
    return result


class Demo:
    """The running stack and the moves of the demo, each a short method."""

    def __init__(self, api: httpx.Client, boards: BoardsEmulator, conviso: ConvisoEmulator) -> None:
        self.api, self.boards, self.conviso = api, boards, conviso

    def configure(self, host_url: str) -> None:
        answer = self.api.put(f"/integrations/{INTEGRATION}", json=integration_config(self.boards))
        answer.raise_for_status()
        hook = f"{host_url}/api/integrations/{INTEGRATION}/boards-webhook?token={HOOK_TOKEN}"
        for project in ("Fabrikam", "Payments"):  # the seed's two manual hooks, per project
            self.boards.subscribe(hook, project=project, changed_fields="System.BoardColumn")
            self.boards.subscribe(hook, project=project, changed_fields="System.State")

    def seed(self) -> list[str]:
        self.conviso.add_company("Fabrikam", id=COMPANY)
        for asset_id, name in ASSETS.items():
            self.conviso.add_asset(COMPANY, name, id=asset_id)
        return [str(self.conviso.seed_issue(**v).id) for v in VULNERABILITIES]

    def publish(self, issue_id: str) -> None:
        """Send the issue as Conviso does: a CloudEvent signed with the event secret."""
        from sync_core.adapters.conviso import ConvisoClient
        from sync_core.edge import sign_conviso

        with ConvisoClient(api_url=self.conviso.url, api_key=CONVISO_KEY) as client:
            issue = client.get_issue(issue_id).model_dump(mode="json", by_alias=True)
        body = json.dumps(
            {
                "specversion": "1.0",
                "id": uuid.uuid4().hex,
                "source": "conviso-platform",
                "type": "com.convisoappsec.vulnerability.identified",
                "data": {"issue": issue},
            }
        ).encode()
        headers = {
            "Content-Type": "application/cloudevents+json",
            "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
        }
        answer = self.api.post(
            f"/integrations/{INTEGRATION}/conviso-events", content=body, headers=headers
        )
        answer.raise_for_status()

    def outcomes(self, issue_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The latest delivery of each vulnerability, once every one has one."""
        answer = self.api.get(f"/integrations/{INTEGRATION}/deliveries", params={"limit": 200})
        answer.raise_for_status()
        latest: dict[str, dict[str, Any]] = {}
        for delivery in answer.json()["items"]:  # newest first
            vid = delivery.get("vulnerability_id")
            if vid in issue_ids and vid not in latest:
                latest[vid] = delivery
        return latest if set(latest) == set(issue_ids) else {}

    def row(self, issue_id: str, delivery: Mapping[str, Any]) -> list[str]:
        """vulnerability, severity, title → work item, project, column (/ lane), state, priority."""
        issue = self.conviso.get_issue(issue_id)
        kind = issue.type.removesuffix("_FINDING")
        what = [f"#{issue_id} {kind}", issue.severity or "", issue.title]
        work_item_id = delivery.get("work_item_id")
        if not work_item_id:
            return [*what, f"skipped: {delivery.get('reason')}", "", "", "", ""]
        fields = self.boards.work_item(int(work_item_id))["fields"]
        column = str(fields.get("System.BoardColumn"))
        if fields.get("System.BoardLane"):
            column += f" / {fields['System.BoardLane']}"
        return [
            *what,
            f"#{work_item_id}",
            fields["System.TeamProject"],
            column,
            fields["System.State"],
            str(fields["Microsoft.VSTS.Common.Priority"]),
        ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    render = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([render(header), line, *(render(r) for r in rows)])


def run(out: TextIO) -> int:
    """The demo; prints to ``out`` and returns the exit status."""
    say = lambda text="": print(text, file=out, flush=True)  # noqa: E731
    started = time.monotonic()
    with ExitStack() as stack:
        azurite = stack.enter_context(start_azurite())
        boards = stack.enter_context(BoardsEmulator(hook_retry_delays=(0.05, 0.1)))
        conviso = stack.enter_context(ConvisoEmulator(api_key=CONVISO_KEY))
        stack.enter_context(
            _environment(
                {
                    "SYNC_STORAGE": azurite.connection_string,
                    "AzureWebJobsStorage": azurite.connection_string,
                    "SECRETS_KEY": Fernet.generate_key().decode(),
                    "AZURE_DEVOPS_BASE_URL": boards.url,
                    "CONVISO_API_URL": conviso.url,
                }
            )
        )
        from sync_core import bootstrap

        bootstrap.reset()  # build the app's context from the settings above
        stack.callback(bootstrap.reset)
        host = DevHost(
            load_app(), port=0, concurrency=2, visibility_timeout=0.5, poll_interval=0.05,
            timers=False,
        )  # fmt: skip
        host.start()
        stack.callback(host.stop)
        api = stack.enter_context(httpx.Client(base_url=f"{host.url}/api", timeout=10))
        demo = Demo(api, boards, conviso)
        say(f"Azurite, Azure Boards emulator ({boards.url}), Conviso emulator ({conviso.url})")
        say(f"and the function app ({host.url}/api) are running.")

        demo.configure(host.url)
        say(f"Integration '{INTEGRATION}' configured; service hooks point at its boards-webhook.")
        issues = demo.seed()
        for issue_id in issues:
            demo.publish(issue_id)
        say(f"Sent {len(issues)} signed Conviso events (SAST, SCA with a CVE, DAST).")
        outcomes = _wait(lambda: demo.outcomes(issues), "every vulnerability to be handled")
        say()
        header = ["vulnerability", "severity", "title", "work item", "project", "column", "state"]
        say(_table([*header, "priority"], [demo.row(i, outcomes[i]) for i in issues]))
        for issue_id in issues:
            if not outcomes[issue_id].get("work_item_id"):
                say(f"#{issue_id}: {outcomes[issue_id]['message']}")

        first = issues[0]
        card = int(outcomes[first]["work_item_id"])
        say()
        say(f"{PERSON} drags work item #{card} to the Testing column on the board…")
        boards.move_card(card, column="Testing", by=PERSON)
        claimed = _wait(
            lambda: [
                c for c in conviso.status_changes if c.issue_id == first and c.source == "api"
            ],
            "Conviso's status to follow the card",
        )[-1]
        say(f"Conviso #{first} is now {conviso.get_issue(first).status}: {claimed.reason}")
        say("(a move claims a fix; only a scan can set FIX_ACCEPTED)")
        say()
        say(f"Done in {time.monotonic() - started:.1f} s; stopping everything.")
    return 0


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    # The servers log every request at INFO; the demo's output is its table.
    for noisy in ("werkzeug", "azure", "localdev"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.exit(run(sys.stdout))


if __name__ == "__main__":
    main()
