"""A small board page in the emulator, so ``make run`` shows the sync both ways in a browser.

Azure DevOps shows a team's board at ``https://dev.azure.com/{org}/{project}/_boards/board/t/
{team}/{board}`` and a work item at ``{org}/{project}/_workitems/edit/{id}`` (MicrosoftDocs
azure-devops-docs, ``docs/boards/boards/kanban-quickstart.md`` and the work item URLs in
``docs/boards/work-items/work-item-url-hyperlink.md``). The emulator serves the same paths
with a plain page: the board's columns with their cards, and a card can be dragged (HTML5
drag and drop, plain JavaScript) to another column, or moved with its "Move to" control from
the keyboard. A move is made **as a person** (``BoardsEmulator.move_card``, by default
"Jamal Hartnett"), so the emulator sends the same service hooks Azure DevOps would and the
app moves the vulnerability in Conviso. The app's own moves appear on the page's next
refresh (every 3 s).

This is a developer's view, not Azure DevOps' UI: no sign-in (the emulator listens on
127.0.0.1 only), no lanes to drag between, no card editing. It sits in front of the REST app
(``BoardPage(emulator, app)``), so its requests are neither authenticated, throttled, faulted
nor recorded as API calls.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from .world import ApiError

if TYPE_CHECKING:
    from .emulator import BoardsEmulator

__all__ = ["BoardPage", "board_url"]

_BOARD = re.compile(
    r"^/(?P<org>[^/]+)/(?P<project>[^/]+)/_boards/board/t/(?P<team>[^/]+)/(?P<board>[^/]+?)(?P<suffix>/cards|/move)?/?$"
)
_ITEM = re.compile(r"^/(?P<org>[^/]+)/(?P<project>[^/]+)/_workitems/edit/(?P<id>\d+)/?$")
#: who drags the cards: a person of the seed, so the app sees a person's change (R8)
DEFAULT_PERSON = "Jamal Hartnett"


def board_url(base: str, organization: str, project: str, team: str, board: str) -> str:
    """The board page's address, spelled as Azure DevOps spells it."""
    parts = (organization, project, "_boards", "board", "t", team, board)
    return base.rstrip("/") + "/" + "/".join(quote(p, safe="_") for p in parts)


class BoardPage:
    """WSGI middleware: the board and work item pages, everything else to the REST app."""

    def __init__(self, emulator: BoardsEmulator, app: Any, *, person: str = DEFAULT_PERSON):
        self.emulator = emulator
        self.app = app
        self.person = person

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = unquote(request.path)
        board = _BOARD.match(path)
        item = _ITEM.match(path)
        if board is None and item is None:
            return self.app(environ, start_response)
        try:
            if board is not None:
                response = self._board(request, board.groupdict())
            else:
                assert item is not None
                response = self._item(item.groupdict())
        except ApiError as exc:
            response = _json({"error": {"code": exc.type_key, "message": exc.message}}, exc.status)
        return response(environ, start_response)

    # ---------------------------------------------------------------- board

    def _board(self, request: Request, args: dict[str, str]) -> Response:
        self._check_org(args["org"])
        suffix = args.get("suffix") or ""
        if suffix == "/move":
            if request.method != "POST":
                return _json({"error": {"code": "MethodNotAllowed", "message": "POST"}}, 405)
            return self._move(request, args)
        if request.method != "GET":
            return _json({"error": {"code": "MethodNotAllowed", "message": "GET"}}, 405)
        view = self._view(args["project"], args["team"], args["board"])
        if suffix == "/cards":
            return _json(view)
        return Response(_page(view), mimetype="text/html")

    def _view(self, project_name: str, team_name: str, board_name: str) -> dict[str, Any]:
        """The board's columns and the cards in each, read under the emulator's lock."""
        emulator = self.emulator
        with emulator._lock:
            project = emulator.world.project(project_name)
            team = project.team(team_name)
            board = team.board(board_name)
            columns: dict[str, list[dict[str, Any]]] = {c["name"]: [] for c in board.columns}
            for record in emulator.store.items.values():
                if record.deleted or record.project is not project:
                    continue
                on = project.boards_showing(
                    record.type_name, record.fields.get("System.AreaPath", "")
                )
                if board not in on:
                    continue
                column = record.fields.get(board.column_field)
                if column not in columns:
                    continue
                columns[column].append(
                    {
                        "id": record.id,
                        "title": str(record.fields.get("System.Title", "")),
                        "state": str(record.fields.get("System.State", "")),
                        "type": record.type_name,
                        "lane": record.fields.get(board.lane_field),
                        "tags": str(record.fields.get("System.Tags", "")),
                        "rev": record.rev,
                    }
                )
            return {
                "organization": emulator.world.organization,
                "project": project.name,
                "team": team.name,
                "board": board.name,
                "person": self.person,
                "columns": [
                    {
                        "name": c["name"],
                        "states": dict(c.get("stateMappings", {})),
                        "cards": sorted(columns[c["name"]], key=lambda card: card["id"]),
                    }
                    for c in board.columns
                ],
            }

    def _move(self, request: Request, args: dict[str, str]) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            work_item_id = int(body["id"])
            column = str(body["column"])
        except (ValueError, KeyError, TypeError):
            message = 'the body must be {"id": <work item id>, "column": "<column name>"}'
            return _json({"error": {"code": "BadRequest", "message": message}}, 400)
        project = self.emulator.world.project(args["project"])
        team = project.team(args["team"])
        board = team.board(args["board"])
        if board.column(column) is None:
            message = f"the board {board.name} has no column named {column!r}"
            return _json({"error": {"code": "BadRequest", "message": message}}, 400)
        moved = self.emulator.move_card(
            work_item_id, column=column, board=board.name, team=team.name, by=self.person
        )
        return _json({"id": moved["id"], "rev": moved["rev"], "column": column})

    # ---------------------------------------------------------------- item

    def _item(self, args: dict[str, str]) -> Response:
        self._check_org(args["org"])
        item = self.emulator.work_item(int(args["id"]))
        fields = item.get("fields", {})
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in sorted(fields.items())
            if not isinstance(v, dict)
        )
        title = html.escape(f"{fields.get('System.WorkItemType', 'Work item')} {item['id']}")
        return Response(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_CSS}</style></head><body><header><h1>{title}: "
            f"{html.escape(str(fields.get('System.Title', '')))}</h1>"
            "<p>Azure Boards emulator: the work item as the REST API answers it.</p></header>"
            f"<main><table><caption>Fields (revision {item['rev']})</caption>{rows}</table>"
            "</main></body></html>",
            mimetype="text/html",
        )

    def _check_org(self, organization: str) -> None:
        if organization.lower() != self.emulator.world.organization.lower():
            raise ApiError(
                404, f"The organization '{organization}' does not exist.", "OrganizationNotFound"
            )


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


#: the page's style and script, beside this module (plain files, no build step)
_CSS = (Path(__file__).with_name("board_page.css")).read_text("utf-8")
_SCRIPT = (Path(__file__).with_name("board_page.js")).read_text("utf-8")


def _page(view: dict[str, Any]) -> str:
    name = f"{view['project']} · {view['team']} · {view['board']}"
    data = json.dumps(view).replace("</", "<\\/")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(name)} board (emulator)</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(name)}</h1><p>Azure Boards emulator: drag a card to another "
        f"column (or use its Move to list); you act as {html.escape(view['person'])}, and the "
        "service hooks go out as they would from Azure DevOps.</p></header>"
        "<main><p id='status' role='status' aria-live='polite'></p>"
        "<div id='board' class='board'></div></main>"
        f"<script id='data' type='application/json'>{data}</script>"
        f"<script>{_SCRIPT}</script></body></html>"
    )
