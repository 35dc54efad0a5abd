"""Connections to the broker, made the same way by every process."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions

from .config import MessagingSettings

BROKER_ERRORS = (pika.exceptions.AMQPError, OSError, socket.timeout)


def connection_parameters(settings: MessagingSettings, name: str, timeout: float = 10.0) -> pika.URLParameters:
    parameters = pika.URLParameters(settings.amqp_url)
    parameters.heartbeat = settings.heartbeat
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    parameters.blocked_connection_timeout = 60
    parameters.connection_attempts = 1
    parameters.client_properties = {"connection_name": name}
    return parameters


def blocking_connection(settings: MessagingSettings, name: str, timeout: float = 10.0) -> pika.BlockingConnection:
    return pika.BlockingConnection(connection_parameters(settings, name, timeout))


def redact(url: str) -> str:
    """The URL without its password, for log lines and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
