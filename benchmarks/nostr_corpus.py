"""A synthetic but realistic stream of Nostr events, with a few leaked keys planted.

Shared by the relay-policy and event-scanner benchmarks. Keys are generated at run time and
never written anywhere but the generated stream. Ids are the events' NIP-01 hashes, as strfry
hands them to a write policy (it checks them first); signatures are random hex: nothing here
checks them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from typing import Any

from nsecguard import bech32, keys

_VOCABULARY = """
gm nostr zap relay bitcoin lightning coffee morning the a to of and is in that it for on with as was
at by this be from or have not are but what all were when we there can an your which their said if
do will each about how up out them then she many some so these would other into has more her two
like him see time could no make than first been its who now people my made over did down only way
find use may water long little very after words called just where most know pleb stack sats
"""
WORDS = tuple(_VOCABULARY.split())


def new_secret(rng: random.Random) -> bytes:
    while True:
        secret = rng.randbytes(32)
        if keys.is_valid_secret(secret):
            return secret


def _hex(rng: random.Random, n: int = 32) -> str:
    return rng.randbytes(n).hex()


def _text(rng: random.Random, low: int = 5, high: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


class Corpus:
    def __init__(self, seed: int = 7, authors: int = 2000) -> None:
        self.rng = random.Random(seed)
        self.authors = [_hex(self.rng) for _ in range(authors)]
        self.leaked: list[bytes] = []  # the planted secrets (for checking, never printed)

    def _base(
        self, kind: int, content: str, tags: list[list[str]], pubkey: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        _hex(rng)  # (drawn as before, when ids were random: the same stream of events otherwise)
        event = {
            "id": "",
            "pubkey": pubkey or rng.choice(self.authors),
            "created_at": 1_700_000_000 + rng.randint(0, 30_000_000),
            "kind": kind,
            "tags": tags,
            "content": content,
            "sig": _hex(rng, 64),
        }
        event["id"] = event_id(event)
        return event

    def note(self) -> dict[str, Any]:
        rng = self.rng
        content = _text(rng)
        tags: list[list[str]] = []
        roll = rng.random()
        if roll < 0.15:
            content += f" https://image.example.com/{_hex(rng, 8)}.jpg"
            tags.append(
                [
                    "imeta",
                    f"url https://image.example.com/{_hex(rng, 8)}.jpg",
                    f"x {_hex(rng)}",
                    "m image/jpeg",
                ]
            )
        elif roll < 0.25:
            content += " nostr:" + keys.npub(bytes.fromhex(rng.choice(self.authors)))
            tags.append(["p", rng.choice(self.authors)])
        if rng.random() < 0.2:
            tags.append(["t", rng.choice(WORDS)])
        if rng.random() < 0.3:
            tags.append(["client", "damus"])
        return self._base(1, content, tags)

    def reply(self) -> dict[str, Any]:
        rng = self.rng
        tags = [["e", _hex(rng), "wss://relay.example.com", "root"], ["e", _hex(rng), "", "reply"]]
        tags += [["p", rng.choice(self.authors)] for _ in range(rng.randint(1, 4))]
        return self._base(1, _text(rng, 2, 30), tags)

    def reaction(self) -> dict[str, Any]:
        rng = self.rng
        tags = [["e", _hex(rng)], ["p", rng.choice(self.authors)], ["k", "1"]]
        return self._base(7, rng.choice(["+", "🤙", "❤️", "-"]), tags)

    def contacts(self) -> dict[str, Any]:
        rng = self.rng
        tags = [["p", rng.choice(self.authors)] for _ in range(rng.randint(50, 400))]
        return self._base(3, "", tags)

    def repost(self) -> dict[str, Any]:
        inner = self.note()
        tags = [["e", inner["id"], "wss://relay.example.com"], ["p", inner["pubkey"]]]
        return self._base(6, json.dumps(inner), tags)

    def zap(self) -> dict[str, Any]:
        rng = self.rng
        request = self._base(
            9734, "", [["p", rng.choice(self.authors)], ["e", _hex(rng)], ["amount", "21000"]]
        )
        tags = [
            ["p", rng.choice(self.authors)],
            ["e", _hex(rng)],
            [
                "bolt11",
                "lnbc210n1" + "".join(rng.choice("qpzry9x8gf2tvdw0s3jn54khce6mua7l") for _ in range(300)),
            ],
            ["description", json.dumps(request)],
            ["preimage", _hex(rng)],
        ]
        return self._base(9735, "", tags)

    def profile(self) -> dict[str, Any]:
        rng = self.rng
        meta = {"name": rng.choice(WORDS), "about": _text(rng, 3, 20), "picture": "https://example.com/a.png"}
        return self._base(0, json.dumps(meta), [])

    def leak(self) -> dict[str, Any]:
        rng = self.rng
        secret = new_secret(rng)
        self.leaked.append(secret)
        own_pub = keys.xonly_pubkey(secret).hex()
        nsec = bech32.encode("nsec", secret)
        style = rng.randrange(5)
        if style == 0:
            return self._base(1, f"my bot runs with --sec {nsec} lol", [])
        if style == 1:
            return self._base(1, "gm", [["t", nsec]])
        if style == 2:  # hex, proven by the author's own pubkey
            return self._base(1, f"backup {secret.hex()}", [], pubkey=own_pub)
        if style == 3:
            wallet = _hex(rng)
            return self._base(
                1, f"nostr+walletconnect://{wallet}?relay=wss://r.example.com&secret={secret.hex()}", []
            )
        meta = {"name": "bot", "about": f"NOSTR_SECRET_KEY={nsec}"}
        return self._base(0, json.dumps(meta), [], pubkey=own_pub)

    def events(self, n: int, leak_rate: float = 0.002) -> Iterator[dict[str, Any]]:
        mix = (
            (0.50, self.note),
            (0.20, self.reply),
            (0.17, self.reaction),
            (0.04, self.repost),
            (0.03, self.zap),
            (0.03, self.profile),
            (0.03, self.contacts),
        )
        rng = self.rng
        for _ in range(n):
            if rng.random() < leak_rate:
                yield self.leak()
                continue
            roll = rng.random()
            for share, make in mix:
                if roll < share:
                    yield make()
                    break
                roll -= share
            else:
                yield self.note()


def event_id(event: dict[str, Any]) -> str:
    """NIP-01: the sha256 of the canonical serialization."""
    fields = [0, event["pubkey"], event["created_at"], event["kind"], event["tags"], event["content"]]
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def strfry_request(event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "new",
            "event": event,
            "receivedAt": event["created_at"],
            "sourceType": "IP4",
            "sourceInfo": "203.0.113.9",
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


if __name__ == "__main__":
    for ev in Corpus(seed=int(os.environ.get("SEED", "7"))).events(int(os.environ.get("N", "1000"))):
        print(json.dumps(ev, separators=(",", ":"), ensure_ascii=False))
