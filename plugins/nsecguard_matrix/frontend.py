"""`nsecguard matrix-bot --config FILE` and `nsecguard matrix-demo`.

matrix-nio (and Synapse, for the demo) are imported only when the command runs.
"""

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
    # nio logs request details at INFO/DEBUG; only its warnings matter here
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.WARNING)


def configure_bot(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, metavar="FILE", help="the bot's TOML config")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run_bot(args: argparse.Namespace) -> int:
    from nsecguard_matrix import config

    cfg = config.load(args.config)  # errors name the key, before anything connects
    setup_logging(args.log_level)
    from nsecguard_matrix import bot

    asyncio.run(bot.run_bot(cfg))
    return 0


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true", help="keep the throwaway server's directory")


def run_demo(args: argparse.Namespace) -> int:
    from nsecguard_matrix import demo

    return demo.main(keep=args.keep)


FRONTEND = FrontEnd(
    name="matrix-bot",
    help="guard Matrix rooms: redact posted Nostr private keys, repost them safely, warn the sender",
    configure=configure_bot,
    run=run_bot,
)

DEMO = FrontEnd(
    name="matrix-demo",
    help="see the Matrix guard work on a throwaway local Synapse (needs nsecguard[matrix,synapse])",
    configure=configure_demo,
    run=run_demo,
)
