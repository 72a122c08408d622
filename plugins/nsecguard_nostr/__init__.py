"""Nostr front-ends for nsecguard: a strfry write policy and an event-archive scanner.

Registered through the `nsecguard.frontends` entry points (see `frontend.py`); the core
`nsecguard` package never imports this one.
"""
