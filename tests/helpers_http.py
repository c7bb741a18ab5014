"""A local stand-in for the dataset mirrors, each path prefix a mirror with its own way of failing.

    http://127.0.0.1:<port>/<mode>/<file name>

good      serves the file
missing   404
broken    500
corrupt   the file with bytes flipped inside the gzip stream
tampered  a valid gzip whose content differs from the original by one byte
cut       announces the full Content-Length, sends half, closes
stall     sends nothing until the client gives up

``down_url`` is a port with a bound socket that never listens: connection refused.
"""

from __future__ import annotations

import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODES = ("good", "missing", "broken", "corrupt", "tampered", "cut", "stall")


class MirrorServer:
    def __init__(self, directory: Path):
        self.directory = directory
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        # Bound but not listening: the kernel refuses connections, and holding
        # the port keeps anyone else from taking it during the test.
        self._refusing = socket.socket()
        self._refusing.bind(("127.0.0.1", 0))
        self._bodies = _bodies(directory)

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._refusing.close()
        self._thread.join()

    def url(self, mode: str) -> str:
        assert mode in MODES, mode
        return f"http://127.0.0.1:{self._httpd.server_port}/{mode}/"

    @property
    def down_url(self) -> str:
        return f"http://127.0.0.1:{self._refusing.getsockname()[1]}/"

    def record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)

    def body(self, mode: str, name: str) -> bytes | None:
        return self._bodies.get((mode, name))


def _bodies(directory: Path) -> dict[tuple[str, str], bytes]:
    """Every mode's version of every file, made up front: a server still
    computing one when the client's read timeout expires would look like a stall."""
    bodies = {}
    for path in sorted(directory.glob("*.gz")):
        good = path.read_bytes()
        corrupt = bytearray(good)
        middle = len(corrupt) // 2
        corrupt[middle:middle + 64] = bytes(b ^ 0xFF for b in corrupt[middle:middle + 64])
        raw = bytearray(gzip.decompress(good))
        raw[-1] ^= 0x01  # the last pixel or label: structure intact, checksum not
        # Level 0 (stored) keeps setup fast; it is still a valid gzip file.
        tampered = gzip.compress(bytes(raw), compresslevel=0)
        for mode, body in (("good", good), ("cut", good), ("corrupt", bytes(corrupt)), ("tampered", tampered)):
            bodies[mode, path.name] = body
    return bodies


def _handler_for(server: MirrorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.record(self.path)
            mode, _, name = self.path.lstrip("/").partition("/")
            if mode == "missing":
                return self.send_error(404)
            if mode == "broken":
                return self.send_error(500)
            if mode == "stall":
                server.stopping.wait(30)
                return None
            body = server.body(mode, name)
            if body is None:
                return self.send_error(404)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first; that is its business
            # "cut" then returns with the body short; HTTP/1.0 closes the connection.

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    return Handler
