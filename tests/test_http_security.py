"""The Rasa HTTP server as a browser and an attacker meet it: CORS only for the clinic's origins, the API only with the token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bot.stack import Stack
from tests.conftest import Assistant, new_sender, start_stack

CLINIC = "https://clinic.example"


@pytest.fixture(scope="module")
def cors_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("cors"), "cors", {"CORS_ORIGINS": CLINIC}, console=False)
    try:
        yield stack
    finally:
        stack.stop()


def preflight(url: str, origin: str) -> requests.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    return requests.options(f"{url}/webhooks/rest/webhook", headers=headers, timeout=10)


def test_the_clinics_own_site_may_call_the_assistant_from_a_browser(cors_stack: Stack) -> None:
    assert preflight(cors_stack.rasa_url, CLINIC).headers.get("Access-Control-Allow-Origin") == CLINIC
    reply = requests.post(
        f"{cors_stack.rasa_url}/webhooks/rest/webhook", json={"sender": new_sender(), "message": "hi"},
        headers={"Origin": CLINIC}, timeout=30,
    )  # fmt: skip
    assert reply.ok and reply.headers.get("Access-Control-Allow-Origin") == CLINIC


def test_other_sites_get_no_cors_permission(cors_stack: Stack) -> None:
    for origin in ("https://evil.example", "https://clinic.example.evil.example", "null"):
        response = preflight(cors_stack.rasa_url, origin)
        assert "Access-Control-Allow-Origin" not in response.headers, origin


def test_without_configured_origins_no_site_gets_cors_permission(assistant: Assistant) -> None:
    assert "Access-Control-Allow-Origin" not in preflight(assistant.url, CLINIC).headers


@pytest.mark.parametrize("token", ["", "wrong-token", "right-token-and-more"])
def test_the_http_api_refuses_requests_without_the_right_token(assistant: Assistant, token: str) -> None:
    right = assistant.stack.settings.rasa_token
    token = token.replace("right-token", right)
    sender = new_sender()
    assistant.send("hello", sender)
    params = {"token": token} if token else {}
    for method, path in (("GET", f"/conversations/{sender}/tracker"), ("POST", f"/conversations/{sender}/tracker/events"),
                         ("GET", "/status"), ("POST", "/model/parse")):  # fmt: skip
        response = requests.request(method, assistant.url + path, params=params, json={"text": "hi"}, timeout=10)
        assert response.status_code in (401, 403), (method, path, token)
    assert requests.get(f"{assistant.url}/conversations/{sender}/tracker", params={"token": right}, timeout=10).ok
