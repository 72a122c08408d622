"""`nsecguard xmpp-bot --config FILE`. slixmpp is imported only when the command runs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from nsecguard.frontends import FrontEnd


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # slixmpp logs whole stanzas (bodies) at DEBUG: only its warnings matter here
    logging.getLogger("slixmpp").setLevel(logging.WARNING)


def configure_bot(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, metavar="FILE", help="the bot's TOML config")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run_bot(args: argparse.Namespace) -> int:
    from nsecguard_xmpp import config

    cfg = config.load(args.config)  # errors name the key, before anything connects
    setup_logging(args.log_level)
    from nsecguard_xmpp import bot

    return asyncio.run(bot.run_bot(cfg))


FRONTEND = FrontEnd(
    name="xmpp-bot",
    help="guard XMPP group chats: retract posted Nostr private keys, repost them safely, warn the sender",
    configure=configure_bot,
    run=run_bot,
)
