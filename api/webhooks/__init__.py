"""Outbound webhooks: durable outbox, signed deliveries with retries (see dispatcher)."""

from __future__ import annotations

from sqlalchemy.engine import Engine


class WebhookService:
    """Started and stopped with the app; delivers outbox events to RevOps' subscriptions."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(self) -> None:
        """Start delivering."""

    def stop(self) -> None:
        """Stop delivering; undelivered events stay in the outbox."""
