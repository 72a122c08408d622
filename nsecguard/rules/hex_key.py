"""A private key as 64 hex digits, or as its 32 bytes written out as numbers.

Nothing in a hex value says it is a key, so the words around it decide (`nsecguard.context`,
`nsecguard.structure`), and a proof overrides them: a value whose public key stands in the same
text (or in the public keys the caller knows) is certain, whatever it is called."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import ModuleType

from nsecguard.model import Confidence, Kind, Severity
from nsecguard.rules.base import (
    KEY_CHAT_ADVICE,
    ROTATE_ADVICE,
    ROTATE_HELP,
    Detector,
    Hit,
    Rule,
    Sample,
    Scan,
    overlaps,
)
from nsecguard.rules.pubkeys import hex_runs

KIND = Kind.define("hex-key")

# Told, at the end of each buffer, of its 64-hex values that may be public keys (neither
# reported nor named as a hash or an id), and of its weak candidates (not reported, or below
# high; not named as something else), each with its public key when derived: proof across
# files (nsecguard.crossproof, which keeps only public keys and hashes). None: no one is told.
ClueHook = Callable[[list[bytes], list[tuple[bytes, bytes | None]]], None]
clue_hook: ClueHook | None = None


def find_hex(scan: Scan) -> Iterable[Hit]:
    from nsecguard import (
        context,  # only buffers with 64-hex values need it
        keys,
    )

    buf, taken, outer = scan.buf, scan.taken, scan.outer
    data = buf.data
    if not buf.has_bech32_pubkey and _all_vetoed_by_their_lines(data, taken, context):
        return  # a lock file, a checksum list: no hit, no proof, no clue (the loop below agrees)
    memo = buf.memo = buf.memo or context.Memo()
    found: list[tuple[int, int, bytes, Confidence | None, str]] = []
    for start, end in hex_runs(data):
        if end - start != 64:
            continue  # a window of a longer run: a signature, a compressed pubkey, a blob
        if taken and overlaps(taken, start, end):
            continue  # part of a URI already judged
        value = bytes.fromhex(data[start:end].decode())
        if not keys.is_valid_secret(value):
            continue
        if start >= 2 and data[start - 2 : start] in (b"0x", b"0X"):
            start -= 2
        conf, reason = context.judge(data, start, end, buf.nostr, memo)
        if conf is None and reason != context.VETOED and outer is not None:
            outer_memo = outer.buf.memo = outer.buf.memo or context.Memo()
            conf, reason = context.judge(outer.buf.data, outer.start, outer.end, outer.buf.nostr, outer_memo)
        found.append((start, end, value, conf, reason))
    # Proof: a value's public key stands in the same text, whatever the value is called. Deriving
    # costs ~30 µs (and loading libsecp256k1 the first time), so a text whose every 64-hex value is
    # named as a hash or an id (a lock file, a checksum list) with no npub in it is not tried; a
    # value named as a public key is what a proof is made of, so it never stops the attempt.
    try_proof = buf.has_bech32_pubkey or any(reason != context.VETOED for *_, reason in found)
    # the public keys written in the text are read only for a proof (a lock file needs none)
    pubkeys = buf.pubkeys if try_proof else frozenset()
    # Proof goes by value, not by place: a proven value is a key where its own context allows
    # (an id in an event, then `nak key public <it>`: the id is not the leak); only a value
    # named as something else everywhere is reported wherever it stands.
    permitted = {v for _, _, v, _, r in found if r not in (context.VETOED, context.NAMED_PUBLIC)}
    derived: dict[bytes, bytes] = {}
    hook = clue_hook
    weak: list[tuple[bytes, bytes | None]] = []
    proven: set[bytes] = set()
    for start, end, value, conf, reason in found:
        pub: bytes | None = derived.get(value)
        if try_proof and (len(pubkeys) > 1 or (pubkeys and value not in pubkeys)):
            if pub is None:
                pub = derived[value] = keys.xonly_pubkey(value)
            if pub in pubkeys:
                if value in permitted and reason in (context.VETOED, context.NAMED_PUBLIC):
                    continue  # named as an id here, and a key elsewhere: reported there
                known = keys.well_known(value)
                if known is not None:
                    conf, reason = Confidence.LOW, f"well-known: {known}, no one's secret"
                else:
                    conf, reason = Confidence.CERTAIN, "its public key appears in the same text"
                if hook is not None:
                    proven.add(value)
                yield Hit(KIND, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason)
                continue
        if conf is None:
            if hook is not None and reason not in (context.VETOED, context.NAMED_PUBLIC):
                weak.append((value, pub))
            continue
        known = keys.well_known(value)
        if known is not None:
            conf, reason = Confidence.LOW, f"well-known: {known}, no one's secret"
        pub = pub or keys.xonly_pubkey(value)
        if hook is not None and conf < Confidence.HIGH:
            weak.append((value, pub))
        yield Hit(KIND, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason)
    if hook is not None and found:  # what may be public keys: values neither reported nor vetoed
        hook([v for _, _, v, c, r in found if c is None and r != context.VETOED and v not in proven], weak)


def _all_vetoed_by_their_lines(data: bytes, taken: list[tuple[int, int]], context: ModuleType) -> bool:
    """Is every 64-hex value of `data` (outside what `taken` holds) named as something else by
    its own line? Then `find_hex` yields nothing and tells the clue hook nothing: without a
    public key named in the text, vetoed values are not tried for a proof, and they are neither
    weak candidates nor possible public keys. Costs one look-up per value, not a judgment."""
    vetoed = context.vetoed_by_its_line
    for start, end in hex_runs(data):
        if end - start != 64 or (taken and overlaps(taken, start, end)):
            continue
        if start >= 2 and data[start - 2 : start] in (b"0x", b"0X"):
            start -= 2
        if not vetoed(data, start):
            return False
    return True


# A key as 32 numbers in brackets: `Uint8Array(32) [ 59, 240, … ]` (how Node prints nostr-tools'
# keys), Rust `[0x3b, …]`, Go `[]byte{…}`, a Python list. Exactly 32, each of 1-3 digits.
_BYTE = rb"(?:0[xX][0-9a-fA-F]{1,2}|[0-9]{1,3})"
BYTE_ARRAY = rb"[\[{(]\s*" + _BYTE + rb"(?:\s*,\s*" + _BYTE + rb"){31}\s*,?\s*[\]})]"
_BYTE_ARRAY = re.compile(BYTE_ARRAY)
_BYTE_VALUE = re.compile(rb"0[xX]([0-9a-fA-F]{1,2})|[0-9]{1,3}")
# what stands between a name and its array: `Uint8Array(32) [`, `[u8; 32] = [`, `[]byte{`,
# `new Uint8Array([`, `bytes([`, `vec![`
_ARRAY_DRESS = re.compile(
    rb"(?:new\s+)?Uint8Array(?:\.from)?\s*\(\s*\d*\s*\)?|\[u8;\s*\d+\]|\[\]byte|\bvec!|"
    rb"\b(?:bytes|bytearray|Buffer\.from)\s*\(|&"
)


def find_byte_arrays(scan: Scan) -> Iterable[Hit]:
    """A key written as its 32 bytes: named as a private key, or proven by its public key."""
    from nsecguard import context, keys

    buf = scan.buf
    data = buf.data
    for m in _BYTE_ARRAY.finditer(data):
        found = list(_BYTE_VALUE.finditer(data, m.start(), m.end()))
        numbers = [int(v[1], 16) if v[1] else int(v[0]) for v in found]
        if len(numbers) != 32 or max(numbers) > 255:
            continue
        value = bytes(numbers)
        if not keys.is_valid_secret(value):
            continue
        start, end = found[0].start(), found[-1].end()  # the numbers, not the brackets
        line_start = data.rfind(b"\n", max(0, m.start() - 160), m.start()) + 1
        label = _ARRAY_DRESS.sub(b" ", data[max(line_start, m.start() - 160) : m.start()])
        verdict = context.judge_phrase(label)
        named = verdict in (context.Verdict.STRONG, context.Verdict.WEAK)
        if not named and not buf.pubkeys:
            continue  # numbers with no name, and no public key to prove them by (~30 µs a try)
        pub = keys.xonly_pubkey(value)
        if pub in buf.pubkeys:
            conf, reason = Confidence.CERTAIN, "its public key appears in the same text"
        elif verdict is context.Verdict.STRONG:
            conf, reason = Confidence.HIGH, "32 bytes named as a private key"
        elif verdict is context.Verdict.WEAK:
            conf = Confidence.MEDIUM if buf.nostr else Confidence.LOW
            reason = "32 bytes named as a secret"
        else:
            continue
        yield Hit(KIND, conf, start, end, pub, keys.fingerprint_pubkey(pub), reason, encoding="bytes")


_BECH32_PUB = re.compile(rb"n(?:pub1[02-9ac-hj-np-z]{58}|profile1[02-9ac-hj-np-z]{60,})")


def find_names(scan: Scan) -> Iterable[Hit]:
    """No secret: the public keys a buffer writes as npub or nprofile, told to `clue_hook` (the
    first pass finds them with the rest, so a scan that wants them pays no pass of its own)."""
    hook = clue_hook
    if hook is not None:
        from nsecguard.rules.pubkeys import bech32_pubkey

        found = [bech32_pubkey(m.group()) for m in _BECH32_PUB.finditer(scan.buf.data)]
        hook([p for p in found if p is not None], [])
    return ()


HEX_DETECTOR = Detector(
    name="hex",
    patterns=(rb"[0-9a-fA-F]{64}",),
    find=find_hex,
    fallback=lambda data, low: next(hex_runs(data), None) is not None,
    order=40,
)
BYTES_DETECTOR = Detector(
    name="byte-array",
    patterns=(BYTE_ARRAY,),
    find=find_byte_arrays,
    fallback=lambda data, low: b"," in data and _BYTE_ARRAY.search(data) is not None,
    order=45,
)

NAMES_DETECTOR = Detector(
    name="pubkey-names",
    patterns=(rb"npub1[02-9ac-hj-np-z]{58}", rb"nprofile1[02-9ac-hj-np-z]{60}"),
    find=find_names,
    fallback=lambda data, low: clue_hook is not None and (b"npub1" in data or b"nprofile1" in data),
    order=90,
    clue_only=True,
)

RULE = Rule(
    kind=KIND,
    severity=Severity.CRITICAL,
    title="Nostr private key (hex)",
    advice=ROTATE_ADVICE,
    help="A 64-hex-digit Nostr private key, recognised by its name or by its own public key "
    "standing near it. " + ROTATE_HELP,
    chat_words="a Nostr private key (hex)",
    chat_advice=KEY_CHAT_ADVICE,
    noun="a private key",
    action="that key is compromised: stop using it and move to a new key",
    detectors=(HEX_DETECTOR, BYTES_DETECTOR, NAMES_DETECTOR),
    secret_type="Nostr Private Key (hex)",
    precision="high",
    is_key=True,
    samples=(
        Sample("NOSTR_PRIVATE_KEY={hex}", True, Confidence.HIGH, "a private-key name"),
        Sample('{{"sk": "{HEX}"}}', True, Confidence.HIGH, "upper case, a JSON key"),
        Sample("sk = {hex}\npk = {pubhex}", True, Confidence.CERTAIN, "proven by its public key"),
        Sample("key {hex} for {npub}", True, Confidence.CERTAIN, "proven by an npub"),
        Sample(
            "I run a bitcoin node. NOSTR_PRIVATE_KEY={hex}", True, Confidence.HIGH, "another chain earlier"
        ),
        Sample("sk := [{bytes}]", True, Confidence.HIGH, "32 bytes"),
        Sample("sha256: {hex}", False, note="named as a hash"),
        Sample("event id {hex}", False, note="named as an id"),
        Sample("{hex}", False, note="no name, no proof"),
        Sample("ETH_PRIVATE_KEY={hex}", False, note="another chain's key"),
        Sample("authorized_keys = [\n  {hex},\n]", False, note="a list of public keys"),
        Sample("PRIVATE_KEY = os.getenv('NOSTR_KEY', '{hex}')", True, Confidence.HIGH, "a lookup's default"),
        Sample(
            'PK1 = "{hex}"\nassert pub == "{pubhex}"', True, Confidence.CERTAIN, "pk never vetoes a proof"
        ),
        Sample('assert shared_secret.hex() == "{hex}"  # nostr', False, note="an ECDH output"),
        Sample("# nostr\ncreate(import_keys=['{hex}'])", False, note="a list of imported public keys"),
    ),
)
