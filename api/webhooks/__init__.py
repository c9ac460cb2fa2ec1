"""Outbound webhooks: durable outbox, signed deliveries with retries (see service)."""

from api.webhooks.events import EVENT_TYPES, event_payload, event_type
from api.webhooks.service import WebhookService, WebhookSettings
from api.webhooks.signing import new_secret, sign, verify

__all__ = [
    "EVENT_TYPES",
    "WebhookService",
    "WebhookSettings",
    "event_payload",
    "event_type",
    "new_secret",
    "sign",
    "verify",
]
