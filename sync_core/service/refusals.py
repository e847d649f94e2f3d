"""How the remote services' refusals reach an admin caller: one translation each, in one place.

An admin call that reads Azure DevOps or Conviso (discovery, the console's pickers, a
reconcile run, service-hook provisioning, the assets list) answers with the refusal's meaning,
the service's own message kept (it never holds a secret), never a 500 (PRODUCT.md §4):

================================  ========================  ==========================
refusal                           Azure DevOps              Conviso
================================  ========================  ==========================
credentials refused               424 ``azure_devops_auth``  424 ``conviso_auth``
                                  (401 when they are the
                                  caller's own: the console)
asked for something wrong         400 ``bad_request``,      424 ``conviso_refused``
                                  404 ``not_found`` (the
                                  console: 400
                                  ``azure_devops_rejected``)
any other refusal                 424 ``azure_devops_refused``  424 ``conviso_refused``
not answering (after retries)     503 ``unavailable``       503 ``unavailable``
================================  ========================  ==========================

A 424 (failed dependency) says the request was fine and the integration's dependency said
no; a 401 only when the credentials refused are the ones the caller just typed (the
console's discovery, before anything is saved), which they can correct.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from ..ports import (
    AuthenticationError,
    AzureDevOpsError,
    ConfigurationError,
    ConvisoAuthError,
    ConvisoError,
    ConvisoUnavailable,
    TransientError,
)
from .errors import ServiceError

__all__ = ["Refused", "azure_devops_answers", "conviso_answers"]

#: whose credentials a call uses: a saved integration's, or the ones the caller sent
Whose = Literal["integration", "caller"]


class Refused(ServiceError):
    """A remote service said no, or did not answer; the status says which."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@contextmanager
def azure_devops_answers(credentials: Whose = "integration") -> Iterator[None]:
    """Translate the Boards client's errors raised inside the block (see the table above)."""
    try:
        yield
    except AuthenticationError as exc:
        whose = "the" if credentials == "caller" else "this integration's"
        raise Refused(
            f"Azure DevOps refused {whose} credentials: {exc.message}",
            status=401 if credentials == "caller" else 424,
            code="azure_devops_auth",
        ) from exc
    except ConfigurationError as exc:
        raise _asked_wrong(exc, credentials) from exc
    except TransientError as exc:
        raise _unavailable(f"Azure DevOps is not answering now ({exc.message}); try again") from exc
    except AzureDevOpsError as exc:
        raise Refused(exc.message, status=424, code="azure_devops_refused") from exc
    except OSError as exc:  # no answer at all (a token service, a socket) before a status
        raise _unavailable(f"Azure DevOps did not answer ({type(exc).__name__})") from exc


@contextmanager
def conviso_answers() -> Iterator[None]:
    """Translate the Conviso client's errors raised inside the block (see the table above)."""
    try:
        yield
    except ConvisoAuthError as exc:
        raise Refused(
            f"Conviso refused this integration's API key: {exc}", status=424, code="conviso_auth"
        ) from exc
    except ConvisoUnavailable as exc:
        raise _unavailable(f"Conviso is not answering now ({exc}); try again") from exc
    except ConvisoError as exc:
        raise Refused(str(exc)[:500], status=424, code="conviso_refused") from exc


def _asked_wrong(exc: ConfigurationError, credentials: Whose) -> Refused:
    if credentials == "caller":
        return Refused(f"Azure DevOps: {exc.message}", status=400, code="azure_devops_rejected")
    status = exc.status if exc.status in (400, 404) else 424
    code = {400: "bad_request", 404: "not_found"}.get(status, "azure_devops_refused")
    return Refused(exc.message, status=status, code=code)


def _unavailable(message: str) -> Refused:
    return Refused(message, status=503, code="unavailable")
