"""Small text attachments (XEP-0066 out-of-band URLs, as XEP-0363 HTTP upload gives them):
downloaded so a key inside a `.txt` file is seen too.

Only from allowed hosts (the bot's own domain and its subdomains, where the upload service
lives, plus `attachment_hosts`), only text (by name or content type), at most 1 MiB, with a
short timeout: the bot never fetches arbitrary URLs posted in a chat.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.request
from pathlib import PurePosixPath
from urllib.parse import urlparse

log = logging.getLogger("nsecguard.xmpp")
MAX_TEXT_ATTACHMENT = 1024 * 1024
TEXT_SUFFIXES = (
    ".txt",
    ".md",
    ".json",
    ".log",
    ".csv",
    ".conf",
    ".cfg",
    ".ini",
    ".env",
    ".toml",
    ".yaml",
    ".yml",
)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
TIMEOUT = 5.0


def allowed(url: str, domain: str, extra_hosts: frozenset[str]) -> bool:
    parts = urlparse(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "http" and host not in _LOOPBACK:
        return False  # a file holding a key is not fetched in the clear
    domain = domain.lower()
    return host in extra_hosts or host == domain or host.endswith("." + domain)


def looks_textual(url: str) -> bool:
    return PurePosixPath(urlparse(url).path).name.lower().endswith(TEXT_SUFFIXES)


def _fetch(url: str) -> tuple[str | None, str | None, int | None]:
    """(text, mimetype, size) or (None, ...) when it is not small text."""
    request = urllib.request.Request(url, headers={"User-Agent": "nsecguard-xmpp"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        mimetype = response.headers.get_content_type()
        length = response.headers.get("Content-Length")
        size = int(length) if length and length.isdigit() else None
        is_text = mimetype.startswith("text/") or mimetype == "application/json" or looks_textual(url)
        if not is_text or (size is not None and size > MAX_TEXT_ATTACHMENT):
            return None, mimetype, size
        data = response.read(MAX_TEXT_ATTACHMENT + 1)
    if len(data) > MAX_TEXT_ATTACHMENT:
        return None, mimetype, len(data)
    return data.decode("utf-8", "replace"), mimetype, len(data)


async def fetch_text(url: str) -> tuple[str | None, str | None, int | None]:
    """Download one attachment off the event loop; any failure gives (None, None, None)."""
    try:
        return await asyncio.to_thread(_fetch, url)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        log.warning("could not download an attachment (%s)", type(exc).__name__)
        return None, None, None
