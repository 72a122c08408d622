"""`nsecguard watch`: arguments checked, identity loaded, the watch run until stopped."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from nsecguard.engine import Options
from nsecguard.errors import EXIT_CLEAN, FatalError
from nsecguard.model import Confidence
from nsecguard_nostr.event import parse_kinds
from nsecguard_nostr.watch import scan
from nsecguard_nostr.watch.sentinel import Sentinel, safe
from nsecguard_nostr.watch.store import Store

log = logging.getLogger("nsecguard.watch")


class _Scrub(logging.Filter):
    """The last line of defence: every log record leaves with any key swapped for its npub."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = safe(record.getMessage()), None
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Scrub())
    root = logging.getLogger("nsecguard")
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper()))
    root.propagate = False


def kinds_from(text: str | None) -> frozenset[int]:
    if not text:
        return scan.DEFAULT_KINDS
    try:
        if text.startswith("+"):
            return scan.DEFAULT_KINDS | parse_kinds(text[1:])
        return parse_kinds(text)
    except ValueError as exc:
        raise FatalError(str(exc)) from None


def check_relays(urls: list[str]) -> list[str]:
    out: list[str] = []
    for url in urls:
        if not url.startswith(("ws://", "wss://")):
            raise FatalError(f"not a relay URL (ws:// or wss://): {safe(url)}")
        if url not in out:
            out.append(url)
    return out


def run_watch(args: argparse.Namespace) -> int:
    try:
        from nostr_sdk import RelayUrl
    except ImportError:
        raise FatalError("nsecguard watch needs nostr-sdk: pip install 'nsecguard[nostr]'") from None
    from nsecguard_nostr.watch import identity
    from nsecguard_nostr.watch.relays import Watch, WatchConfig, install_signal_handlers

    setup_logging(args.log_level)
    relays = check_relays(args.relay)
    for url in relays:
        try:
            RelayUrl.parse(url)
        except Exception:
            raise FatalError(f"not a relay URL: {safe(url)}") from None
    try:
        level = Confidence.parse(args.min_confidence)
    except ValueError as exc:
        raise FatalError(str(exc)) from None
    if args.until_idle is not None and args.until_idle <= 0:
        raise FatalError("--until-idle must be more than 0")
    config = WatchConfig(
        relays=relays,
        kinds=kinds_from(args.kinds),
        since=args.since,
        until_idle=args.until_idle,
        backoff_max=max(args.backoff_max, 0.5),
    )
    keys = identity.load(args.identity)
    store = Store(args.store)
    sentinel = Sentinel(
        store,
        request_deletion=args.request_deletion,
        options=Options(min_confidence=level, inline_allow=False),
    )

    async def main() -> None:
        watch = Watch(config, keys, store, sentinel)
        install_signal_handlers(watch.stop)
        stats = await watch.run()
        log.info(
            "stopped: %d events, %d duplicates, %d leaking, %d warnings sent, %d deletions requested", *stats
        )

    try:
        asyncio.run(main())
    finally:
        store.close()
    return EXIT_CLEAN
