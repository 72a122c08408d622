"""The front-end plug-in mechanism: entry points, the built-in fast path, and a third-party
front-end (the one in docs/plugins.md) installed from a throwaway package, run, and removed."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from nsecguard import bech32, frontends, keys

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"


def _pyproject_frontends() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(data["project"]["entry-points"][frontends.GROUP])


def test_builtin_fast_path_matches_the_entry_points() -> None:
    declared = _pyproject_frontends()
    assert {name: declared[name] for name in frontends.BUILTIN} == frontends.BUILTIN


def test_nostr_frontends_are_registered_through_entry_points() -> None:
    declared = _pyproject_frontends()
    assert declared["relay-policy"] == "nsecguard_nostr.frontend:RELAY_POLICY"
    assert declared["events"] == "nsecguard_nostr.frontend:EVENTS"
    installed = frontends.registered()
    for name in ("relay-policy", "events"):
        assert name in installed, "reinstall: pip install -e ."
        fe = frontends.load(name)
        assert fe is not None and fe.name == name
    assert {"scan", "relay-policy", "events"} <= {fe.name for fe in frontends.load_all()}


def test_core_never_imports_a_frontend_plugin() -> None:
    code = (
        "import sys, nsecguard.cli, nsecguard.engine; print(any('nsecguard_nostr' in m for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for path in (ROOT / "nsecguard").rglob("*.py"):
        assert "nsecguard_nostr" not in path.read_text(), path


def test_unknown_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nsecguard", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "unknown command" in out.stderr and "relay-policy" in out.stderr


# --- a third-party front-end, from the documentation --------------------------------------


def _doc_block(after: str, lang: str) -> str:
    text = DOC.read_text()
    start = text.index(after)
    match = re.compile(rf"```{lang}\n(.*?)```", re.S).search(text, start)
    assert match is not None
    return match.group(1)


def _build_wheel(tmp: Path, pyproject: str, module: str) -> Path:
    """A wheel made by hand (a zip with metadata): no build backend, no network."""
    meta = tomllib.loads(pyproject)
    name, version = meta["project"]["name"], meta["project"]["version"]
    dist = name.replace("-", "_")
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
        for group, eps in meta["project"]["entry-points"].items()
    )
    files = {
        "nsecguard_chatguard.py": module,
        f"{dist}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: nsecguard-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}-{version}.dist-info/entry_points.txt": entry_points,
    }
    record_name = f"{dist}-{version}.dist-info/RECORD"
    record = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(content.encode())}")
    record.append(f"{record_name},,")
    files[record_name] = "\n".join(record) + "\n"
    wheel = tmp / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, content in files.items():
            zf.writestr(path, content)
    return wheel


@pytest.fixture
def chat_guard_installed(tmp_path: Path) -> Iterator[str]:
    pyproject = _doc_block("`pyproject.toml`:", "toml")
    module = _doc_block("`nsecguard_chatguard.py`:", "python")
    assert len(pyproject.splitlines()) + len(module.splitlines()) < 50, (
        "the documented front-end must stay short"
    )
    wheel = _build_wheel(tmp_path, pyproject, module)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--no-index", str(wheel)], check=True, timeout=120)
    try:
        yield str(Path(sys.executable).parent / "nsecguard")
    finally:
        subprocess.run([*pip, "uninstall", "-y", "nsecguard-chatguard"], check=True, timeout=120)
        check = subprocess.run([*pip, "show", "nsecguard-chatguard"], capture_output=True, timeout=120)
        assert check.returncode != 0, "the throwaway package is still installed"


def test_third_party_frontend_from_the_docs(chat_guard_installed: str) -> None:
    exe = chat_guard_installed
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            break
    nsec, npub = bech32.encode("nsec", secret), keys.npub(keys.xonly_pubkey(secret))

    listing = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "chat-guard" in listing.stdout and "repost chat messages" in listing.stdout

    out = subprocess.run(
        [exe, "chat-guard", "--room", "dev"], input=f"hello\nmy key {nsec}\n", capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stdout == f"hello\nmy key nostr:{npub}\n"
    assert f"[dev] removed a nsec ({npub}): that key is compromised" in out.stderr
    assert nsec not in out.stdout + out.stderr and secret.hex() not in out.stdout + out.stderr

    clean = subprocess.run([exe, "chat-guard"], input="gm\n", capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stdout == "gm\n"


def test_a_broken_plugin_does_not_break_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint(name="broken", value="no_such_module_for_nsecguard:FRONTEND", group=frontends.GROUP)
    shadow = EntryPoint(name="scan", value="no_such_module_for_nsecguard:FRONTEND", group=frontends.GROUP)
    monkeypatch.setattr(frontends, "registered", lambda: {"broken": broken, "scan": shadow})
    failed: list[str] = []
    loaded = frontends.load_all(on_error=lambda name, exc: failed.append(name))
    assert failed == ["broken"]  # and the built-in `scan` won over the plug-in of that name
    assert "scan" in {fe.name for fe in loaded}
    with pytest.raises(ModuleNotFoundError):
        frontends.load_all()
