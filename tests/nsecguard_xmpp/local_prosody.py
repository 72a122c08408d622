"""A throwaway Prosody on 127.0.0.1 for the XMPP tests and the benchmark.

Its own config and data directory under a temp dir (never /etc/prosody, never a system
service), a free c2s port, no s2s, no HTTP, no TLS (plain SCRAM on loopback only). The
MUC component `muc.localhost` loads `muc_mam` and `muc_moderation` (XEP-0425, from Debian's
prosody-modules); the host has `mam` for 1:1 chats. Accounts are made with
`prosodyctl --config ... register`. Needs Debian's `prosody` and `prosody-modules`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOMAIN = "localhost"
MUC_DOMAIN = "muc.localhost"
# where Debian puts prosody-modules (mod_muc_moderation/ lives next to the core modules)
MODULE_DIRS = ("/usr/lib/prosody/modules", "/usr/share/prosody-modules")


def available() -> bool:
    return shutil.which("prosody") is not None and shutil.which("prosodyctl") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class LocalProsody:
    def __init__(self, base_dir: Path, *, port: int | None = None) -> None:
        self.base_dir = base_dir
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.domain = DOMAIN
        self.muc_domain = MUC_DOMAIN
        self.config_path = base_dir / "prosody.cfg.lua"
        self.log_path = base_dir / "prosody.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        data = self.base_dir / "data"
        certs = self.base_dir / "certs"
        data.mkdir(parents=True, exist_ok=True)
        certs.mkdir(exist_ok=True)
        paths = ", ".join(_lua(p) for p in MODULE_DIRS if Path(p).is_dir())
        lines = [
            f"pidfile = {_lua(str(self.base_dir / 'prosody.pid'))}",
            f"data_path = {_lua(str(data))}",
            f"certificates = {_lua(str(certs))}",
            f"plugin_paths = {{ {paths} }}",
            f"run_as_root = {'true' if os.geteuid() == 0 else 'false'}",
            f"log = {{ debug = {_lua(str(self.log_path))} }}",
            f"c2s_ports = {{ {self.port} }}",
            'c2s_interfaces = { "127.0.0.1" }',
            'interfaces = { "127.0.0.1" }',
            "s2s_ports = {}",
            "http_ports = {}",
            "https_ports = {}",
            "component_ports = {}",
            "c2s_direct_tls_ports = {}",
            "c2s_require_encryption = false",
            "allow_unencrypted_plain_auth = true",
            'authentication = "internal_hashed"',
            'storage = "internal"',
            'modules_enabled = { "roster", "saslauth", "disco", "mam", "ping", "register", "carbons" }',
            'modules_disabled = { "s2s", "tls" }',
            "allow_registration = true",
            'archive_expires_after = "never"',
            "default_archive_policy = true",
            'limits = { c2s = { rate = "10mb/s" } }',
            f"VirtualHost {_lua(self.domain)}",
            f'Component {_lua(self.muc_domain)} "muc"',
            '  modules_enabled = { "muc_mam", "muc_moderation" }',
            "  muc_log_by_default = true",
            "  muc_log_all_rooms = true",
            '  muc_log_expires_after = "never"',
            "  restrict_room_creation = false",
            "  muc_room_locking = false",
            "  muc_room_default_persistent = true",
            "  max_history_messages = 50",
        ]
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def start(self, timeout: float = 30.0) -> None:
        if not self.config_path.exists():
            self.write_config()
        log = (self.base_dir / "prosody.out").open("ab")
        self._proc = subprocess.Popen(
            ["prosody", "--config", str(self.config_path), "-F"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"prosody exited with {self._proc.returncode}; see {self.base_dir}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("prosody did not start listening in time")

    def register(self, user: str, password: str) -> str:
        """Create an account; returns its bare JID."""
        if not self.config_path.exists():
            self.write_config()
        subprocess.run(
            ["prosodyctl", "--config", str(self.config_path), "register", user, self.domain, password],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return f"{user}@{self.domain}"

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> LocalProsody:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
