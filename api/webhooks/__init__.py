"""Outbound webhooks: durable outbox, signed deliveries with retries (see service)."""

from api.webhooks.events import EVENT_TYPES, event_payload, event_type
from api.webhooks.service import WebhookService
from api.webhooks.signing import new_secret, sign, verify

__all__ = ["EVENT_TYPES", "WebhookService", "event_payload", "event_type", "new_secret", "sign", "verify"]
