"""The `relay-policy` and `events` front-ends, registered in pyproject.toml:

    [project.entry-points."nsecguard.frontends"]
    relay-policy = "nsecguard_nostr.frontend:RELAY_POLICY"
    events = "nsecguard_nostr.frontend:EVENTS"
    watch = "nsecguard_nostr.frontend:WATCH"
    leaked = "nsecguard_nostr.frontend:LEAKED"

Argument parsing only; the work is imported when a command runs.
"""

from __future__ import annotations

import argparse

from nsecguard.engine import Options
from nsecguard.errors import FatalError
from nsecguard.frontends import FrontEnd
from nsecguard.model import Confidence
from nsecguard_nostr.event import EventFilter, parse_kinds, parse_tags


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("what to inspect")
    group.add_argument(
        "--kinds", metavar="LIST", help="only these event kinds, e.g. 0,1,30000-39999 (default: all)"
    )
    group.add_argument("--skip-kinds", metavar="LIST", help="never these event kinds, e.g. 4,1059")
    group.add_argument(
        "--tags",
        metavar="LIST",
        help="only these tag names, e.g. t,r,client; `none` for content only (default: all)",
    )
    group.add_argument("--no-content", action="store_true", help="do not inspect event content")
    group.add_argument(
        "--min-confidence", metavar="LEVEL", default="medium", help="low, medium (default), high or certain"
    )


def _filter_and_options(args: argparse.Namespace) -> tuple[EventFilter, Options]:
    try:
        filt = EventFilter(
            kinds=parse_kinds(args.kinds) if args.kinds else None,
            skip_kinds=parse_kinds(args.skip_kinds) if args.skip_kinds else frozenset(),
            tags=parse_tags(args.tags) if args.tags is not None else None,
            content=not args.no_content,
        )
        level = Confidence.parse(args.min_confidence)
    except ValueError as exc:
        raise FatalError(str(exc)) from None
    return filt, Options(min_confidence=level, inline_allow=False)


def configure_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shadow-reject",
        action="store_true",
        help="answer shadowReject (the client is told the event was stored) instead of reject",
    )
    parser.add_argument(
        "--on-error",
        choices=("accept", "reject"),
        default="accept",
        help="the answer when an event cannot be judged (default: accept)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not log each rejected event to stderr")
    _filter_arguments(parser)


def run_policy(args: argparse.Namespace) -> int:
    from nsecguard_nostr.policy import PolicyConfig, serve

    filt, options = _filter_and_options(args)
    config = PolicyConfig(
        filt=filt,
        options=options,
        shadow=args.shadow_reject,
        on_error=args.on_error,
        log_rejects=not args.quiet,
    )
    policy = serve(config)
    policy.say(
        f"end of input: {policy.accepted} accepted, {policy.rejected} rejected, "
        f"{policy.malformed} malformed lines, {policy.errors} errors"
    )
    return 0


def configure_events(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="FILE", help="newline-delimited events (default: - for stdin)"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="processes to scan with (default: cores)"
    )
    parser.add_argument(
        "--max-ids", type=int, default=20, metavar="N", help="event ids listed per key (default 20)"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress line on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="run on Dask: synchronous, threads, processes, or a scheduler address tcp://host:8786 "
        "(FILEs may then be globs or fsspec URLs; see docs/scale.md)",
    )
    _filter_arguments(parser)


def run_events(args: argparse.Namespace) -> int:
    from nsecguard_nostr import events_cmd

    filt, options = _filter_and_options(args)
    if args.max_ids < 0:
        raise FatalError("--max-ids must be 0 or more")
    return events_cmd.run(args, filt, options)


RELAY_POLICY = FrontEnd(
    name="relay-policy",
    help="strfry write-policy plugin: reject events that leak a private key",
    configure=configure_policy,
    run=run_policy,
)

EVENTS = FrontEnd(
    name="events",
    help="scan newline-delimited Nostr events (strfry export) for leaked keys",
    configure=configure_events,
    run=run_events,
)


def configure_watch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--relay", action="append", required=True, metavar="URL", help="a relay to watch (repeat for more)"
    )
    parser.add_argument(
        "--identity",
        required=True,
        metavar="FILE",
        help="the sentinel's own private key (nsec or hex), in a file of mode 0600, or - for stdin",
    )
    parser.add_argument(
        "--store", required=True, metavar="FILE", help="the SQLite store (created if missing)"
    )
    parser.add_argument(
        "--request-deletion",
        action="store_true",
        help="when the leaked key is the author's own, publish a NIP-09 deletion request signed with it",
    )
    parser.add_argument(
        "--kinds",
        metavar="LIST",
        help="the event kinds to watch (default: 0,1,6,16,42,9,1111,30023); `+LIST` adds to the default",
    )
    parser.add_argument(
        "--since", type=int, metavar="UNIX", help="on the first run, watch from this time (default: now)"
    )
    parser.add_argument(
        "--until-idle",
        type=float,
        metavar="SECONDS",
        help="stop once every relay is live and no event came for SECONDS (for scripts and tests)",
    )
    parser.add_argument(
        "--backoff-max", type=float, default=60.0, metavar="SECONDS", help="longest wait between reconnects"
    )
    parser.add_argument(
        "--min-confidence", metavar="LEVEL", default="high", help="low, medium, high (default) or certain"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error"), help="stderr log level"
    )


def run_watch(args: argparse.Namespace) -> int:
    from nsecguard_nostr.watch import command

    return command.run_watch(args)


def configure_leaked(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("npub", metavar="NPUB", help="the account to look up (npub1... or 64-hex public key)")
    parser.add_argument("--store", required=True, metavar="FILE", help="the sentinel's SQLite store")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def run_leaked(args: argparse.Namespace) -> int:
    import sys

    from nsecguard_nostr.watch import leaked

    return leaked.run(args.npub, args.store, args.format, sys.stdout)


WATCH = FrontEnd(
    name="watch",
    help="watch live relays for leaked keys and warn each owner by NIP-17 private message",
    configure=configure_watch,
    run=run_watch,
)

LEAKED = FrontEnd(
    name="leaked",
    help="answer from a watch store whether an account's key was seen leaked, and where",
    configure=configure_leaked,
    run=run_leaked,
)
