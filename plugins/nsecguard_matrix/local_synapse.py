"""A throwaway Synapse on 127.0.0.1: for the demo, the benchmark and the integration tests.

SQLite, a free port, client API only, no federation, raised rate limits, registration by
shared secret. Needs `pip install 'nsecguard[synapse]'` (matrix-synapse). Not for production.

`stop()` (or `kill()`, a crash) then `start()` again brings the same server back: same port,
same data directory, same secrets, so clients' access tokens and sync tokens stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nsecguard.errors import FatalError

SERVER_NAME = "localhost"
_FAST = {"per_second": 10000, "burst_count": 10000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


REDACTION_RETENTION = "5m"


def _yaml(value: Any) -> str:
    """JSON is YAML: no need for a YAML writer."""
    return json.dumps(value, indent=1)


class LocalSynapse:
    def __init__(
        self,
        base_dir: Path,
        *,
        modules: Sequence[dict[str, Any]] = (),
        port: int | None = None,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        """`extra_config`: top-level homeserver.yaml keys that replace the defaults (for
        example tight `rc_message` rate limits)."""
        self.base_dir = base_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_name = SERVER_NAME
        self.modules = list(modules)
        self.extra_config = dict(extra_config or {})
        # made once: a restart keeps them
        self.shared_secret = secrets.token_hex(16)
        self._macaroon_secret = secrets.token_hex(16)
        self._form_secret = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = base_dir / "homeserver.log"

    @property
    def config_path(self) -> Path:
        return self.base_dir / "homeserver.yaml"

    def write_config(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        signing_key = self.base_dir / "signing.key"
        if not signing_key.exists():
            from signedjson.key import generate_signing_key, write_signing_keys

            with signing_key.open("w") as fh:
                write_signing_keys(fh, [generate_signing_key("a_test")])
        log_config = self.base_dir / "log.yaml"
        log_config.write_text(
            _yaml(
                {
                    "version": 1,
                    "formatters": {"f": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "f",
                            "filename": str(self.log_path),
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )
        config = {
            "server_name": self.server_name,
            "pid_file": str(self.base_dir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.base_dir / "homeserver.db")}},
            "log_config": str(log_config),
            "media_store_path": str(self.base_dir / "media"),
            "signing_key_path": str(signing_key),
            "report_stats": False,
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "suppress_key_server_warning": True,
            "enable_registration": True,
            "enable_registration_without_verification": True,
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": self._macaroon_secret,
            "form_secret": self._form_secret,
            "presence": {"enabled": False},
            # a throwaway server: cheap password hashes (registration and login are quick)
            "bcrypt_rounds": 4,
            # redacted events keep their original content in the database for this long
            # (Synapse's default is 7 days); a guarded server wants it short
            "redaction_retention_period": REDACTION_RETENTION,
            "rc_message": _FAST,
            "rc_admin_redaction": _FAST,
            "rc_registration": _FAST,
            "rc_login": {"address": _FAST, "account": _FAST, "failed_attempts": _FAST},
            "rc_joins": {"local": _FAST, "remote": _FAST},
            "rc_joins_per_room": _FAST,
            "rc_invites": {"per_room": _FAST, "per_user": _FAST, "per_issuer": _FAST},
            "rc_room_creation": _FAST,
            "rc_key_requests": _FAST,
            "rc_3pid_validation": _FAST,
            "rc_delayed_event_mgmt": _FAST,
            "modules": self.modules,
            **self.extra_config,
        }
        self.config_path.write_text(_yaml(config))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it answers (again, after `stop()` or `kill()`)."""
        if self.running:
            raise FatalError("synapse is already running")
        self.write_config()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with (self.base_dir / "stderr.log").open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.base_dir,
                stdout=err,
                stderr=err,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FatalError(f"synapse exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.stop()
        raise FatalError(f"synapse did not start within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.base_dir / "stderr.log", self.log_path):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown. `start()` brings the server back."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def __enter__(self) -> LocalSynapse:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def register(self, username: str, password: str, *, admin: bool = False) -> str:
        """Create a user through the shared-secret admin API; returns the full user id."""
        endpoint = "/_synapse/admin/v1/register"
        nonce = self._call("GET", endpoint)["nonce"]
        kind = "admin" if admin else "notadmin"
        mac = hmac.new(
            self.shared_secret.encode(),
            b"\x00".join(x.encode() for x in (nonce, username, password, kind)),
            hashlib.sha1,
        ).hexdigest()
        body = {
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": admin,
            "mac": mac,
        }
        return str(self._call("POST", endpoint, body)["user_id"])

    def unthrottle(self, user_id: str, admin_token: str) -> None:
        """Exempt `user_id` from every message rate limit (admin API; `admin_token` of an admin)."""
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        self._call("POST", path, {"messages_per_second": 0, "burst_count": 0}, token=admin_token)

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
