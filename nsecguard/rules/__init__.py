"""The registry of rules: one module per kind of secret (see `base.Rule`).

The engine runs the detectors of every rule here, in order; `sanitize`, the reporters, the chat
guards, the relay policy and the detect-secrets plugin read each kind's words from its rule.
Adding a kind is adding a module to `BUILTIN`: nothing else changes. Code outside this package
(a front-end plugin, a test) adds a rule with `register(rule)` before it scans. Rules are not
found through entry points: every commit pays the hook's start-up, and reading the installed
distributions' metadata costs more than the rest of a clean run.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import import_module

from nsecguard.model import Kind
from nsecguard.rules.base import Detector, Rule

__all__ = [
    "BUILTIN",
    "Detector",
    "Rule",
    "all_rules",
    "detectors",
    "get",
    "key_kinds",
    "register",
    "rule",
    "unregister",
    "whole_below",
]

# in the order findings of a kind are listed (SARIF rule indexes follow it)
BUILTIN = (
    "nsecguard.rules.nsec",
    "nsecguard.rules.hex_key",
    "nsecguard.rules.ncryptsec",
    "nsecguard.rules.bunker",
    "nsecguard.rules.nostrconnect",
    "nsecguard.rules.nwc",
    "nsecguard.rules.mnemonic",
)
_ADDED: list[Rule] = []


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every rule: the built-in ones, then those added with `register`."""
    rules: list[Rule] = [import_module(name).RULE for name in BUILTIN]
    rules.extend(_ADDED)
    seen: set[Kind] = set()
    for r in rules:
        if r.kind in seen:
            raise ValueError(f"two rules for the kind {r.kind}")
        seen.add(r.kind)
    return tuple(rules)


def register(new: Rule) -> None:
    """Add a rule (a kind nsecguard does not ship); scans from now on use it."""
    if not isinstance(new, Rule):
        raise TypeError("register() takes a nsecguard.rules.Rule")
    if any(r.kind == new.kind for r in all_rules()):
        raise ValueError(f"there is a rule for the kind {new.kind} already")
    _ADDED.append(new)
    _forget()


def unregister(kind: Kind) -> None:
    """Remove a rule added with `register` (tests)."""
    _ADDED[:] = [r for r in _ADDED if r.kind != kind]
    _forget()


def _forget() -> None:
    from nsecguard import candidates

    all_rules.cache_clear()
    get.cache_clear()
    detectors.cache_clear()
    whole_below.cache_clear()
    candidates.forget()


@cache
def get(kind: Kind | str) -> Rule | None:
    """The rule of one kind, or None for a kind no rule defines."""
    return next((r for r in all_rules() if r.kind == kind), None)


def rule(kind: Kind | str) -> Rule:
    """The rule of one kind (KeyError for a kind no rule defines)."""
    found = get(kind)
    if found is None:
        raise KeyError(f"no rule for the kind {kind}")
    return found


@lru_cache(maxsize=1)
def detectors() -> tuple[Detector, ...]:
    """Every distinct detector, in the order they run."""
    found: dict[int, Detector] = {}
    for r in all_rules():
        for d in r.detectors:
            found.setdefault(id(d), d)
    return tuple(sorted(found.values(), key=lambda d: d.order))


@lru_cache(maxsize=1)
def whole_below() -> int:
    """The largest buffer some detector reads whole without a first-pass hit (0: none)."""
    return max((d.whole_below for d in detectors()), default=0)


def key_kinds() -> frozenset[Kind]:
    """The kinds that are a private key itself (swapped for the npub wherever they stand)."""
    return frozenset(r.kind for r in all_rules() if r.is_key)
