"""A stand-in replica behind a real nginx: records each request's head; a dying one closes without answering."""
from __future__ import annotations

import re
import socket
import threading
from typing import List


class Replica(threading.Thread):
    """Listens on 127.0.0.1:`port`, answers 200 `[]` (or nothing when `dies`), keeps every request head."""

    def __init__(self, port: int, dies: bool = False):
        super().__init__(daemon=True)
        self.port, self.dies = port, dies
        self.heads: List[str] = []
        self.sock = socket.create_server(("127.0.0.1", port))

    @property
    def request_ids(self) -> List[str | None]:
        """Each request's X-Request-Id (None where it had none), in arrival order."""
        found = (re.search(r"(?i)x-request-id: (\S+)", head) for head in self.heads)
        return [match.group(1) if match else None for match in found]

    def run(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.heads.append(head.decode("latin-1"))
                if not self.dies:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
