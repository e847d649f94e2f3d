"""Service hooks: the Web Hooks subscriptions that post Boards events to the app (R17).

Provisioning lists what exists before creating what is missing, and deleting an
integration removes its hooks; the password of a subscription goes only to Azure DevOps.
"""

from __future__ import annotations

from collections.abc import Mapping

from .models import Subscription
from .rest import OrganizationRest, list_values

__all__ = ["ServiceHooks"]


class ServiceHooks(OrganizationRest):
    """List, create and delete ``workitem.updated`` Web Hooks subscriptions."""

    def list_subscriptions(
        self, *, event_type: str | None = None, consumer_id: str | None = None
    ) -> list[Subscription]:
        params = {"publisherId": "tfs"}
        if event_type:
            params["eventType"] = event_type
        if consumer_id:
            params["consumerId"] = consumer_id
        body = self._get(self._url("_apis", "hooks", "subscriptions"), params=params)
        return [Subscription.model_validate(s) for s in list_values(body)]

    def create_subscription(
        self,
        *,
        project_id: str,
        url: str,
        event_type: str = "workitem.updated",
        changed_fields: str = "",
        work_item_type: str = "",
        area_path: str = "",
        basic_username: str | None = None,
        basic_password: str | None = None,
        http_headers: Mapping[str, str] | None = None,
    ) -> Subscription:
        """A Web Hooks subscription (R17); ``resourceVersion`` 1.0 keeps the payload stable."""
        consumer_inputs = {
            "url": url,
            "resourceDetailsToSend": "all",
            "messagesToSend": "none",
            "detailedMessagesToSend": "none",
        }
        if basic_username and basic_password:
            consumer_inputs["basicAuthUsername"] = basic_username
            consumer_inputs["basicAuthPassword"] = basic_password
        if http_headers:
            consumer_inputs["httpHeaders"] = "\n".join(f"{k}:{v}" for k, v in http_headers.items())
        body = {
            "publisherId": "tfs",
            "eventType": event_type,
            "resourceVersion": "1.0",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {
                "projectId": project_id,
                "workItemType": work_item_type,
                "areaPath": area_path,
                "changedFields": changed_fields,
            },
            "consumerInputs": consumer_inputs,
        }
        url_ = self._url("_apis", "hooks", "subscriptions")
        answer = self._send("POST", url_, body=body, idempotent=False).json()
        return Subscription.model_validate(answer)

    def delete_subscription(self, subscription_id: str) -> None:
        """Remove one subscription (R17: deleting an integration removes its hooks).

        ``DELETE _apis/hooks/subscriptions/{id}`` answers 200 with no body (specs:
        hooks/7.1/serviceHooks.json, Subscriptions_Delete); a 404 means it is gone already.
        """
        self._send("DELETE", self._url("_apis", "hooks", "subscriptions", subscription_id))
