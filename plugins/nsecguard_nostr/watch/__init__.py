"""`nsecguard watch` and `nsecguard leaked`: a sentinel on live relays that tells the owner.

    scan.py      which keys an event leaks (profile fields one by one), and the author's own key
                 recovered from the event text for a deletion request (that code path only)
    store.py     SQLite: sightings, warnings sent, relay cursors (npubs and ids, never keys)
    messages.py  the warning texts
    identity.py  the sentinel's own key, from a 0600 file or stdin
    sentinel.py  the decisions: what to record, whom to warn, what to delete (no I/O to relays)
    relays.py    the nostr-sdk glue: subscriptions, reconnect with backoff, backfill, sending
    leaked.py    `nsecguard leaked NPUB`: answers from the store

Only relays.py and identity.py import nostr-sdk (the `nostr` extra).
"""
