"""A TCP proxy a test puts between the assistant and a shared server, to cut and restore the link.

The fault tests must not stop the machine's PostgreSQL (other test runs and
people use it), so they break the assistant's path to it instead: `cut()`
drops every open connection and refuses new ones, `restore()` lets them
through again. Plain threads and sockets, because the proxy only copies bytes;
a library (toxiproxy and the like) would be a separate server to install.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class FaultProxy:
    """Forwards 127.0.0.1:<port> to the target until cut; the assistant is pointed at `port`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.linked = threading.Event()
        self.linked.set()
        self.closed = False
        self.open_sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name=f"fault-proxy-{self.port}", daemon=True).start()

    def cut(self) -> None:
        """Break the link: open connections fail now, new ones are closed as soon as they connect."""
        self.linked.clear()
        with self.lock:
            sockets, self.open_sockets = self.open_sockets, set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        self.linked.set()

    def close(self) -> None:
        self.closed = True
        self.cut()
        _close(self.listener)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.linked.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.open_sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open_sockets -= {source, sink}
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
