"""Publishing with publisher confirms collected per batch, on pika's asynchronous connection.

A blocking client waits for the broker after every message; here a whole batch is written to the
socket and the loop then runs until the broker has confirmed (or refused) every message of it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import pika
from pika.exceptions import AMQPError

from .config import MessagingSettings
from .envelope import CONTENT_TYPE, PERSISTENT

log = logging.getLogger(__name__)


class PublishNotConfirmed(RuntimeError):
    pass


@dataclass(frozen=True)
class OutgoingMessage:
    event_id: str
    event_type: str
    routing_key: str
    body: str


class ConfirmingPublisher:
    def __init__(self, settings: MessagingSettings, app_id: str, confirm_timeout: float = 30.0):
        self.settings = settings
        self.app_id = app_id
        self.confirm_timeout = confirm_timeout
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._error: str | None = None
        self._waiting_for = "nothing"
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._refused: set[int] = set()
        self._awaited_tag = 0
        self._returned: set[str] = set()

    # -- connection lifecycle, driven by running the I/O loop until a callback stops it --

    def open(self) -> None:
        if self._channel is not None and self._channel.is_open:
            return
        self.close()
        self._error = None
        parameters = pika.URLParameters(self.settings.amqp_url)
        parameters.heartbeat = self.settings.heartbeat
        parameters.socket_timeout = 5
        parameters.blocked_connection_timeout = self.confirm_timeout
        self._connection = pika.SelectConnection(
            parameters,
            on_open_callback=lambda connection: connection.channel(on_open_callback=self._on_channel_open),
            on_open_error_callback=self._on_failure,
            on_close_callback=self._on_failure,
        )
        self._run_until("channel", self.confirm_timeout)

    def _on_channel_open(self, channel) -> None:
        # The exchanges are declared beforehand (topology.declare_core); publishing to a missing one fails loudly.
        channel.add_on_close_callback(self._on_failure)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=self._on_ready(channel))

    def _on_ready(self, channel):
        def ready(_frame) -> None:
            self._channel, self._next_tag, self._unconfirmed, self._refused = channel, 1, set(), set()
            self._returned = set()
            self._stop_loop()
        return ready

    def _on_failure(self, _source, reason=None) -> None:
        self._error = str(reason or _source)
        self._channel = None
        self._stop_loop()

    def close(self) -> None:
        connection, self._channel = self._connection, None
        if connection is None:
            return
        try:
            if connection.is_open:
                connection.close()
                # The close callback stops the loop; the timer only guards against a silent peer.
                timer = connection.ioloop.call_later(2, connection.ioloop.stop)
                connection.ioloop.start()
                connection.ioloop.remove_timeout(timer)
        except Exception:  # noqa: BLE001 - a broken connection may fail to close in many ways
            log.debug("ignoring error while closing broker connection", exc_info=True)
        finally:
            self._connection = None

    def _stop_loop(self) -> None:
        if self._connection is not None:
            self._connection.ioloop.stop()

    def _run_until(self, waiting_for: str, timeout: float) -> None:
        self._waiting_for = waiting_for
        timer = self._connection.ioloop.call_later(timeout, self._on_timeout)
        self._connection.ioloop.start()
        self._connection.ioloop.remove_timeout(timer)
        if self._error is not None:
            error, self._error = self._error, None
            self.close()
            raise PublishNotConfirmed(f"broker connection failed while waiting for {waiting_for}: {error}")

    def _on_timeout(self) -> None:
        self._error = f"no answer within {self.confirm_timeout}s"
        self._connection.ioloop.stop()

    # -- confirms and returns --

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # Mandatory publishes come back when nothing, not even the alternate exchange, took them.
        self._returned.add(properties.message_id)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        settled = ({tag for tag in self._unconfirmed if tag <= method.delivery_tag}
                   if method.multiple else {method.delivery_tag})
        self._unconfirmed -= settled
        if isinstance(method, pika.spec.Basic.Nack):
            self._refused |= settled
        if self._settled_up_to(self._awaited_tag):
            self._stop_loop()

    def _settled_up_to(self, tag: int) -> bool:
        return not self._unconfirmed or min(self._unconfirmed) > tag

    def send(self, messages: Sequence[OutgoingMessage]) -> int:
        """Hands a batch to the connection without waiting; returns the tag to pass to ``wait_confirmed``."""
        self.open()
        try:
            for message in messages:
                self._channel.basic_publish(
                    self.settings.exchange, message.routing_key, message.body.encode("utf-8"),
                    pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT,
                                         message_id=message.event_id, type=message.event_type,
                                         app_id=self.app_id),
                    mandatory=True,
                )
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
        except AMQPError as exc:
            self.close()
            raise PublishNotConfirmed(f"publish failed: {exc!r}") from exc
        return self._next_tag - 1

    def wait_confirmed(self, tag: int) -> None:
        """Returns once the broker confirmed everything sent up to ``tag``; raises if any of it was refused."""
        self._awaited_tag = tag
        if not self._settled_up_to(tag):
            self._run_until("confirms", self.confirm_timeout)
        refused = {t for t in self._refused if t <= tag}
        if refused:
            self._refused -= refused
            raise PublishNotConfirmed(f"broker refused {len(refused)} messages")
        if self._returned:
            returned, self._returned = self._returned, set()
            raise PublishNotConfirmed(f"{len(returned)} messages had no route and no alternate exchange took them")

    def keep_alive(self) -> None:
        """Lets heartbeats through while there is nothing to publish."""
        if self._connection is not None and self._connection.is_open:
            self._connection.ioloop.call_later(0, self._connection.ioloop.stop)
            self._connection.ioloop.start()
