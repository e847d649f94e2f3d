"""The one translation of remote refusals for admin callers (service/refusals.py): each row
of its table, for both whose-credentials modes, and Conviso's."""

from __future__ import annotations

import pytest

from sync_core.ports import (
    AuthenticationError,
    ConfigurationError,
    ConvisoAuthError,
    ConvisoQueryError,
    ConvisoUnavailable,
    RevisionConflict,
    TransientError,
)
from sync_core.service.refusals import Refused, azure_devops_answers, conviso_answers


def _answer(exc: Exception, credentials: str) -> tuple[int, str, str]:
    with pytest.raises(Refused) as caught, azure_devops_answers(credentials):  # type: ignore[arg-type]
        raise exc
    return caught.value.status, caught.value.code, caught.value.message


BOARDS = [
    (AuthenticationError("TF400813: not authorized", status=401), 424, 401, "azure_devops_auth"),
    (ConfigurationError("TF200016: no project", status=404), 404, 400, None),
    (ConfigurationError("VS402485: bad path", status=400), 400, 400, None),
    (ConfigurationError("forbidden", status=403), 424, 400, None),
    (TransientError("timed out"), 503, 503, "unavailable"),
    (RevisionConflict("stale", work_item_id=1, expected_rev=2), 424, 424, "azure_devops_refused"),
    (ConnectionResetError("reset"), 503, 503, "unavailable"),
]


@pytest.mark.parametrize(("error", "integration", "caller", "code"), BOARDS)
def test_an_azure_devops_refusal_keeps_its_meaning_for_whose_credentials_they_are(
    error: Exception, integration: int, caller: int, code: str | None
) -> None:
    saved = _answer(error, "integration")
    typed = _answer(error, "caller")
    assert (saved[0], typed[0]) == (integration, caller)
    if code is not None:
        assert saved[1] == typed[1] == code
    if type(error) is ConfigurationError:  # asked for something wrong: its own words kept
        assert error.message in saved[2] and error.message in typed[2]
        assert typed[1] == "azure_devops_rejected"
        named = {400: "bad_request", 404: "not_found"}
        assert saved[1] == named.get(saved[0], "azure_devops_refused")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ConvisoAuthError("key expired", status_code=401), 424, "conviso_auth"),
        (ConvisoUnavailable("503 after retries"), 503, "unavailable"),
        (ConvisoQueryError("issues", ["Field 'x' doesn't exist"]), 424, "conviso_refused"),
    ],
)
def test_a_conviso_refusal_is_a_424_unless_conviso_is_not_answering(
    error: Exception, status: int, code: str
) -> None:
    with pytest.raises(Refused) as caught, conviso_answers():
        raise error
    assert (caught.value.status, caught.value.code) == (status, code)


def test_nothing_else_is_translated() -> None:
    with pytest.raises(KeyError), azure_devops_answers(), conviso_answers():
        raise KeyError("a defect of ours stays one")
