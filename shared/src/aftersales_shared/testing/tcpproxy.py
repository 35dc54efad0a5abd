"""A tiny threaded TCP forwarder that a test can "unplug", to play a broker outage without stopping the broker."""
from __future__ import annotations

import logging
import selectors
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)


class TcpProxy:
    """Listens on ``listen_host:<free port>`` and forwards every connection to ``target_host:target_port``.

    ``stop_accepting_and_cut()`` closes the listening socket (new connections are refused) and
    every connection in flight (clients see the peer vanish), like a broker going down;
    ``resume()`` listens again on the same port. Use as a context manager or call ``close()``.
    """

    def __init__(self, target_host: str, target_port: int, listen_host: str = "127.0.0.1",
                 connect_timeout: float = 5.0):
        self.target = (target_host, int(target_port))
        self.listen_host = listen_host
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._accepting = False
        self._closed = False
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self.accepted = 0
        self.port = self._listen(0)
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"tcpproxy-{self.port}", daemon=True)
        self._accept_thread.start()

    # -- public API -------------------------------------------------------------------------------

    @property
    def url_port(self) -> int:
        """The port to put into client URLs instead of the target's."""
        return self.port

    @property
    def address(self) -> tuple[str, int]:
        return self.listen_host, self.port

    def url_for(self, url: str) -> str:
        """``url`` (amqp://user:pw@host:port/vhost, postgresql://...) with host:port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@" if userinfo else ""
        netloc += f"{self.listen_host}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    @property
    def is_accepting(self) -> bool:
        return self._accepting

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections) // 2

    def stop_accepting_and_cut(self) -> None:
        """Refuse new connections and close all current ones (both sides)."""
        with self._lock:
            self._accepting = False
            listener, self._listener = self._listener, None
            sockets = list(self._connections)
            self._connections.clear()
        if listener is not None:
            listener.close()
        self._wake()
        for sock in sockets:
            _hard_close(sock)

    def resume(self) -> None:
        """Listen again on the same port."""
        with self._lock:
            if self._closed:
                raise RuntimeError("proxy is closed")
            if self._accepting:
                return
        self._listen(self.port)
        self._wake()

    def close(self) -> None:
        self.stop_accepting_and_cut()
        self._closed = True
        self._wake()
        self._accept_thread.join(timeout=5)
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "accepting" if self._accepting else "cut"
        return f"<TcpProxy {self.listen_host}:{self.port} -> {self.target[0]}:{self.target[1]} {state}>"

    # -- internals --------------------------------------------------------------------------------

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.listen_host, port))
        listener.listen(64)
        listener.setblocking(False)
        with self._lock:
            self._listener = listener
            self._accepting = True
        return listener.getsockname()[1]

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _accept_loop(self) -> None:
        while not self._closed:
            with self._lock:
                listener = self._listener
            selector = selectors.DefaultSelector()
            try:
                selector.register(self._wake_r, selectors.EVENT_READ)
                if listener is not None:
                    try:
                        selector.register(listener, selectors.EVENT_READ)
                    except (ValueError, OSError):  # closed meanwhile
                        listener = None
                for key, _ in selector.select(timeout=0.5):
                    if key.fileobj is self._wake_r:
                        try:
                            self._wake_r.recv(1024)
                        except OSError:
                            pass
                    elif key.fileobj is listener:
                        self._accept(listener)
            except OSError:
                continue
            finally:
                selector.close()

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except (BlockingIOError, OSError):
            return
        client.setblocking(True)
        try:
            upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
            upstream.settimeout(None)
        except OSError as exc:
            log.debug("proxy cannot reach %s: %s", self.target, exc)
            _hard_close(client)
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if not self._accepting:
                admitted = False
            else:
                admitted = True
                self._connections.update((client, upstream))
                self.accepted += 1
        if not admitted:
            _hard_close(client)
            _hard_close(upstream)
            return
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True,
                             name=f"tcpproxy-{self.port}-pump").start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(sink)
            _hard_close(source)
            _hard_close(sink)


def _hard_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
