"""Front-ends register here: each adds one `nsecguard <subcommand>`.

A front-end is a `FrontEnd` object exposed through the `nsecguard.frontends` entry-point group,
so a third-party package adds one without touching the core:

    [project.entry-points."nsecguard.frontends"]
    discord-bot = "nsecguard_discord:FRONTEND"

The built-in commands register the same way (see pyproject.toml). To keep start-up lean,
the CLI loads only the entry point of the subcommand being run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "nsecguard.frontends"


class FrontEnd(NamedTuple):
    name: str  # the subcommand
    help: str  # one line for `nsecguard --help`
    configure: Callable[[argparse.ArgumentParser], None]  # add the subcommand's arguments
    run: Callable[[argparse.Namespace], int]  # returns the exit code


# The built-in front-ends, as registered in pyproject.toml (a test keeps the two equal).
# Resolving these directly spares every run the scan of all installed distributions.
BUILTIN: dict[str, str] = {
    "scan": "nsecguard.commands.scan:FRONTEND",
    "sanitize": "nsecguard.commands.sanitize:FRONTEND",
    "inspect": "nsecguard.commands.inspect:FRONTEND",
    "install-hook": "nsecguard.commands.install_hook:FRONTEND",
}


def _load(target: str) -> FrontEnd:
    module, _, attr = target.partition(":")
    obj = getattr(import_module(module), attr)
    if not isinstance(obj, FrontEnd):
        raise TypeError(f"{target} is not an nsecguard FrontEnd")
    return obj


def registered() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # costly: only for non-built-in commands

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> FrontEnd | None:
    """The front-end for one subcommand, or None when nothing registers it. Only that one
    front-end's module is imported."""
    if name in BUILTIN:
        return _load(BUILTIN[name])
    ep = registered().get(name)
    return _load(ep.value) if ep is not None else None


def load_all(on_error: Callable[[str, Exception], None] | None = None) -> list[FrontEnd]:
    """Every front-end, by name. A built-in name wins over a plug-in's. With `on_error`, a
    plug-in that fails to load is reported to it and left out instead of failing them all."""
    names = {name: ep.value for name, ep in registered().items()}
    names.update(BUILTIN)
    out: list[FrontEnd] = []
    for name, target in sorted(names.items()):
        try:
            out.append(_load(target))
        except Exception as exc:
            if on_error is None:
                raise
            on_error(name, exc)
    return out
