"""An agent using the console's JSON API with a signed-in session (end-to-end tests)."""
from __future__ import annotations

import requests

from tests.ticket_factories import PASSWORD


class ConsoleAgent:
    """An agent using the console's JSON API with a signed-in session."""

    def __init__(self, stack, username: str):
        self.base = stack.console_url
        self.http = requests.Session()
        signed_in = self.http.post(f"{self.base}/api/login", json={"username": username, "password": PASSWORD},
                                   timeout=30)
        assert signed_in.status_code == 200, signed_in.text
        # Like the console's page: every POST sends the sign-in's CSRF token back.
        self.http.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]

    def get(self, path: str) -> dict:
        response = self.http.get(f"{self.base}{path}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = self.http.post(f"{self.base}{path}", json=body or {}, timeout=30)
        assert response.status_code == status, response.text
        return response.json()
