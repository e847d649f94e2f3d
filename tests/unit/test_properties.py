"""Invariants of the rules, checked over generated inputs (hypothesis).

- an inbound decision never yields FIX_ACCEPTED;
- writing a status's target and feeding the card back inbound is a no-op (no ping-pong),
  and planning the same status again writes nothing;
- rendering never lets ``<``, ``>`` or quotes from input through unescaped;
- a custom route always beats the default route.
"""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sync_core.rules import (
    ChangeConvisoStatus,
    ConvisoStatus,
    IntegrationConfig,
    Route,
    Skip,
    SkipReason,
    UpdateWorkItem,
    WorkItemView,
    describe,
    history_note,
    plan_inbound,
    plan_outbound,
    route_for,
    route_problems,
)
from sync_core.rules.vocabulary import MAPPABLE_STATUSES

from .builders import COLUMN_FIELD, agile_layout, card, config, config_data, link, move, vuln

LAYOUT = agile_layout()
STATES = list(LAYOUT.states)
COLUMNS = [c.name for c in LAYOUT.columns]
COLUMN_STATE = {c.name: c.state_mappings["Bug"] for c in LAYOUT.columns}


@st.composite
def targets(draw: st.DrawFn) -> dict[str, str]:
    kind = draw(st.sampled_from(["state", "column", "both"]))
    if kind == "state":
        return {"state": draw(st.sampled_from(STATES))}
    col = draw(st.sampled_from(COLUMNS))
    return {"column": col} if kind == "column" else {"column": col, "state": COLUMN_STATE[col]}


@st.composite
def routes(draw: st.DrawFn) -> Route:
    optional = [s for s in MAPPABLE_STATUSES if s != ConvisoStatus.IDENTIFIED]
    chosen = draw(st.lists(st.sampled_from(optional), unique=True))
    status_map = {s.value: draw(targets()) for s in [ConvisoStatus.IDENTIFIED, *chosen]}
    built = Route.model_validate(
        {
            "default": True,
            "project": "P",
            "team": "T",
            "board": "B",
            "work_item_type": "Bug",
            "status_map": status_map,
        }
    )
    assume(not route_problems(built, LAYOUT))
    return built


positions = st.sampled_from(COLUMNS).map(lambda c: (COLUMN_STATE[c], c))
statuses = st.sampled_from(list(ConvisoStatus))


def board_applies(before: WorkItemView, fields: dict) -> WorkItemView:
    """Azure Boards' behaviour: a column write sets its state; a state write moves the card
    to the first column standing for that state unless its column already does."""
    state, column = before.state, before.column
    if COLUMN_FIELD in fields:
        column = fields[COLUMN_FIELD]
        state = COLUMN_STATE[column]
    if "System.State" in fields:
        state = fields["System.State"]
        if COLUMN_STATE.get(column or "") != state:
            column = next(c for c in COLUMNS if COLUMN_STATE[c] == state)
    return before.model_copy(update={"state": state, "column": column, "rev": before.rev + 1})


@settings(max_examples=300, deadline=None)
@given(the_route=routes(), position=positions, current=statuses)
def test_an_inbound_decision_never_yields_fix_accepted(the_route, position, current) -> None:
    state, column = position
    decision = plan_inbound(
        move(state, column),
        route=the_route,
        layout=LAYOUT,
        link=link(current),
        current=current,
        permitted=None,
    )
    assert not (
        isinstance(decision, ChangeConvisoStatus) and decision.status == ConvisoStatus.FIX_ACCEPTED
    )


@settings(max_examples=300, deadline=None)
@given(the_route=routes(), start=positions, status=st.sampled_from(MAPPABLE_STATUSES))
def test_writing_a_target_and_reading_it_back_is_a_no_op(the_route, start, status) -> None:
    before = card(*start)
    decision = plan_outbound(
        vuln(status=status),
        config=config(),
        route=the_route,
        layout=LAYOUT,
        link=link("IDENTIFIED"),
        card=before,
    )
    after = (
        board_applies(before, decision.fields) if isinstance(decision, UpdateWorkItem) else before
    )
    if isinstance(decision, Skip) and decision.reason == SkipReason.UNMAPPED_STATUS:
        return  # nothing written, so no event comes back; the card stays where it is (R5)
    echo = plan_inbound(
        move(after.state, after.column, rev=after.rev + 1),
        route=the_route,
        layout=LAYOUT,
        link=link(status),
        current=status,
        permitted=None,
    )
    assert not isinstance(echo, ChangeConvisoStatus), (before, after, echo)
    again = plan_outbound(
        vuln(status=status),
        config=config(),
        route=the_route,
        layout=LAYOUT,
        link=link(status),
        card=after,
    )
    assert isinstance(again, Skip), again
    assert again.reason in (SkipReason.IN_SYNC, SkipReason.UNMAPPED_STATUS)


_OWN_MARKUP = re.compile(r'<(?:/?(?:table|tr|th|td|h3|p|pre)|br/|a href="[^"<>]*"|/a)>')
hostile = st.text(
    alphabet=st.sampled_from(list("<>\"'&/=ab ;\n\t\x00")) | st.characters(), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(title=hostile, text=hostile, name=hostile, path=hostile, cve=hostile)
def test_rendering_never_lets_markup_or_quotes_through(title, text, name, path, cve) -> None:
    html = describe(
        config(),
        vuln(
            title=title,
            description=text,
            solution=text,
            category=cve,
            type=name,
            asset={"id": "9", "name": name},
            detail={
                "fileName": path,
                "codeSnippet": text,
                "cve": cve,
                "url": path,
                "package": name,
            },
        ),
    ) + history_note(text)
    leftover = _OWN_MARKUP.sub("", html)
    assert not set(leftover) & set("<>\"'"), leftover


@settings(max_examples=200, deadline=None)
@given(
    assets=st.lists(
        st.text(alphabet="0123456789", min_size=1, max_size=4), unique=True, max_size=6
    ),
    probe=st.text(alphabet="0123456789", min_size=1, max_size=4),
)
def test_a_custom_route_always_beats_the_default(assets: list[str], probe: str) -> None:
    base = config_data()["routes"][0]
    custom = [{**base, "default": False, "asset_id": a, "project": f"Custom {a}"} for a in assets]
    cfg = IntegrationConfig.model_validate(config_data(routes=[base, *custom]))
    chosen = route_for(cfg, probe)
    assert chosen is not None
    assert chosen.project == (f"Custom {probe}" if probe in assets else "Fabrikam")
