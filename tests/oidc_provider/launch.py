"""Start the test OpenID Connect provider as a subprocess on a free 127.0.0.1 port, and sign in at it as a browser
would (for the tests that drive Handoff with the test client; the browser tests use Chromium)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password-1"
# Subjects are the provider's own identifiers: opaque strings, unrelated to Handoff's usernames.
USERS = [
    {"username": "idp.officer", "sub": "sub-0001", "email": "officer.b2@handoff.invalid", "email_verified": True},
    {
        "username": "idp.clinician",
        "sub": "sub-0002",
        "email": "clinician.b2@handoff.invalid",
        "email_verified": True,
        "amr": ["pwd", "mfa"],
    },
    {"username": "idp.stranger", "sub": "sub-0003", "email": "stranger@elsewhere.invalid", "email_verified": True},
    {"username": "idp.unverified", "sub": "sub-0004", "email": "officer.d4@handoff.invalid", "email_verified": False},
]
# Loopback redirect URIs match any port (RFC 8252), so the test client's and the live server's both do.
CLIENTS = [
    {
        "name": "Handoff (police)",
        "client_id": "handoff-police",
        "client_secret": "police-client-secret-7f3a9c",
        "redirect_uris": ["http://127.0.0.1/accounts/sso/police/callback/"],
        "skip_authorization": False,  # asks for consent
    },
    {
        "name": "Handoff (hospital)",
        "client_id": "handoff-hospital",
        "client_secret": "hospital-client-secret-2b8e41",
        "redirect_uris": ["http://127.0.0.1/accounts/sso/hospital/callback/"],
        "skip_authorization": True,
    },
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TestProvider:
    base_url: str
    private_key_pem: str
    process: subprocess.Popen
    log: Path
    clients: dict = field(default_factory=lambda: {client["client_id"]: client for client in CLIENTS})

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"

    @classmethod
    def start(cls, directory: Path) -> TestProvider:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        users = [{**user, "password": PASSWORD} for user in USERS]
        config = {"database": str(directory / "provider.sqlite3"), "private_key": pem, "users": users}
        config["clients"] = CLIENTS
        config_path = directory / "config.json"
        config_path.write_text(json.dumps(config))
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
        env["OIDC_TEST_PROVIDER_CONFIG"] = str(config_path)
        log = directory / "provider.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.oidc_provider", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        provider = cls(base_url=f"http://127.0.0.1:{port}", private_key_pem=pem, process=process, log=log)
        provider._wait_for_discovery()
        return provider

    def _wait_for_discovery(self, timeout: float = 60) -> None:
        url = f"{self.issuer}/.well-known/openid-configuration"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OIDC provider exited:\n{self.log.read_text()}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the test OIDC provider did not publish {url}:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def sign_in(self, authorize_url: str, username: str, *, consent: bool = True) -> str:
        """Sign in at the provider as ``username`` (consenting if asked); the URL it sends the browser back to."""
        browser = requests.Session()
        page = browser.get(authorize_url, timeout=10)  # not signed in there: its login page
        assert urlsplit(page.url).path == "/login/", page.url
        next_url = parse_qs(urlsplit(page.url).query)["next"][0]
        answer = browser.post(
            page.url,
            data={
                "username": username,
                "password": PASSWORD,
                "next": next_url,
                "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
            },
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text
        answer = browser.get(urljoin(self.base_url, answer.headers["Location"]), allow_redirects=False, timeout=10)
        if answer.status_code == 200:  # the consent page
            fields = _hidden_inputs(answer.text)
            if consent:
                fields["allow"] = "Authorize"
            answer = browser.post(answer.url, data=fields, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""


def _hidden_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values
