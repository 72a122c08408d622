"""Is a 64-hex value named like a private key? Reads the words around it.

Values are judged by the nearest names before them on the same line (`NOSTR_SK=`, `"sk": "`,
`--sec `, `SecretKey::from_hex("`, `my private key is`), walked from the nearest outward:
the first decisive name wins, so `{"pubkey": A, "sk": B}` marks B and not A. When nothing on
the line names the value, a label or comment on the line before counts, more weakly, and so does
a trailing comment. Hash-like names (`sha256`, `checksum`, `id`, `pubkey`, `sig`...) veto.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator

from nsecguard.model import Confidence


class Verdict(enum.Enum):
    NONE = 0
    NEGATIVE = 1  # named as something else: a hash, an id, a public key
    WEAK = 2  # a generic secret name
    STRONG = 3  # a private-key name


# whole words that name a private key
_STRONG = {
    "nsec", "sk", "seckey", "privkey", "prvkey", "privatekey", "secretkey", "sec", "nwc",
    "nostrsk", "nostrkey", "nsecs", "secp256k1sk", "skhex", "privkeyhex",
}  # fmt: skip
# substrings of an unseparated word that name a private key (BOTNSEC, NOSTRPRIVKEY)
_STRONG_PARTS = ("nsec", "secretkey", "privatekey", "privkey", "seckey", "prvkey")
# words that make a private-key name together with "key"/"keys"
_SECRETISH = {"secret", "private", "priv", "prv", "sec", "signing", "signer", "nostr", "raw"}
_KEYISH = {"key", "keys", "hex"}
# generic secret words: a key in a Nostr file, noise elsewhere
_WEAK = {"secret", "private", "priv", "prv", "keys", "keypair", "identity", "signer"}
# names of other things: hashes, ids, public data, other kinds of secret
_NEGATIVE = {
    "pub", "pubkey", "pubkeys", "public", "publickey", "npub", "pk", "pkey", "xonly",
    "id", "ids", "eid", "uuid", "guid", "hash", "hashes", "hashed", "sha", "sha1", "sha2",
    "sha256", "sha384", "sha512", "sha3", "keccak", "blake2", "blake2b", "blake3", "md5",
    "checksum", "checksums", "digest", "digests", "sig", "sigs", "signature", "signatures",
    "txid", "txids", "tx", "txhash", "commit", "rev", "revision", "sri", "integrity", "etag",
    "event", "events", "note", "nonce", "salt", "hmac", "mac", "fingerprint", "address",
    "addr", "root", "merkle", "block", "blockhash", "oid", "tree", "blob", "preimage",
    "payment", "invoice", "jwt", "session", "csrf", "cookie", "webhook", "oauth", "client",
    "api", "apikey", "token", "password", "passwd", "aes", "encryption", "challenge",
    "shared", "conversation", "ecdh", "plaintext", "ciphertext", "iv", "entropy", "chaincode",
    "msg", "message", "digest32",
    "url", "uri", "image", "file", "content", "data", "random", "test_hash",
    # lists of other people's public keys: `authorized_keys`, `trusted_keys`, `follows`
    "authorized", "authorised", "allowed", "trusted", "whitelist", "whitelisted", "allowlist",
    "allowlisted", "blocklist", "blacklist", "follows", "followers", "contacts", "members",
}  # fmt: skip
# a key named for another chain (`ETH_PRIVATE_KEY`, `btc_wif`) is that chain's key, not a Nostr
# account's (a bare `PRIVATE_KEY=0x<hex>` cannot be told apart, and is reported)
_OTHER_CHAINS = {
    "eth", "ethereum", "evm", "web3", "metamask", "hardhat", "ganache", "foundry", "infura",
    "alchemy", "polygon", "bsc", "bnb", "arbitrum", "optimism", "solana", "tron", "wif",
    "bitcoin", "btc", "xprv", "tprv", "mnemonic", "bip32", "bip39",
}  # fmt: skip


def _other_chain(words: set[str]) -> bool:
    return bool(words & _OTHER_CHAINS) and not words & {"nostr", "nsec", "npub"}


# words that carry no meaning of their own: keep walking outward past them
_TRANSPARENT = {
    "let", "const", "var", "val", "mut", "export", "set", "my", "the", "a", "an", "is", "are",
    "was", "here", "this", "our", "your", "static", "final", "string", "str", "new", "from",
    "fromhex", "hex", "bytes", "hextobytes", "unhexlify", "decode", "parse", "buffer",
    "bytearray", "to", "of", "with", "default", "value", "env", "os", "environ", "getenv",
    "get", "process", "setdefault", "as", "in", "for", "use", "readonly", "private", "public",
    "self", "config", "cfg", "settings", "options", "opts", "args", "arg", "flag",
    "i", "it", "its", "me", "be", "and", "or", "u8", "vec", "array", "slice", "owned",
    "unwrap", "expect", "try", "await", "return", "assert", "eq", "equal", "fn", "def",
    "parse_hex", "fromstring", "from_str", "key_from", "import", "load", "loads", "nostr",
    "toequal", "tobe", "tostrictequal", "equals", "assertequal", "assert_eq",
    "should", "must", "matches", "check", "verify", "result", "actual", "expected",
    "to_secret_hex", "to_hex", "as_str", "to_string", "display", "show", "print", "println", "log",
}  # fmt: skip

# calls whose argument is a private key: `getPublicKey(sk)`, `nsecEncode(sk)`, `finalizeEvent(e, sk)`
_KEY_CALLS = (
    "getpublickey", "nsecencode", "finalizeevent", "finishevent", "signevent", "getsignature",
    "fromsecretkey", "fromprivatekey", "fromsk", "fromnsec", "withprivatekey", "signschnorr",
    "keysfromsk", "secretkeyfrom", "privatekeyfrom", "keysparse",
)  # fmt: skip

# constructors that build a key pair from one private key (Dart `Keys('<hex>')`, `Keychain`,
# Swift `Keypair(hex: "<hex>")`, Kotlin `KeyPair(privKey = ...)`): matched as the called name
# itself, capitalised as constructors are, and not when the argument is named as a public key
_KEY_CONSTRUCTORS = {"keys", "keypair", "keychain", "keypairs", "nostrkeys", "nostrkeypair", "nostrkeypairs"}

# access modifiers, and the declaration words that show they are modifiers (Kotlin, Java, Swift,
# Scala, C#, TypeScript): `private val x`, `private static final String X`, `private let x`
_MODIFIERS = {b"private", b"public", b"protected", b"internal", b"fileprivate"}
_DECLARATIONS = {
    "val", "var", "let", "const", "static", "final", "fun", "func", "def", "lateinit", "readonly",
    "string", "byte", "bytearray", "override", "lazy", "open", "suspend", "async", "string[]",
}  # fmt: skip

_IDENT = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*(?:(?:::|\.|->|-)[A-Za-z_$][A-Za-z0-9_$]*)*")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_COMMENT = re.compile(rb"(?:#|//|--|/\*|<!--|;)\s*(.*)")
_MAX_IDENTS = 6


def words_of(identifier: str) -> list[str]:
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", identifier):
        if not part:
            continue
        pieces = _CAMEL.findall(part)
        out.extend(p.lower() for p in pieces)
        if len(pieces) > 1:
            out.append(part.lower())  # the joined form too: "privKey" -> also "privkey"
    return out


def _is_strong(words: set[str]) -> bool:
    if words & _STRONG:
        return True
    if words & _SECRETISH and words & _KEYISH and words - {"nostr", "raw", "hex", "keys"}:
        return True
    return any(part in w for w in words for part in _STRONG_PARTS if len(w) > len(part))


def _is_negative(ordered: list[str]) -> bool:
    """Negative when a hash-like word is the head of the name: English compounds are
    head-final, so `secret_key_hash` is a hash while `event_secret_key` is a key."""
    last_negative = max((i for i, w in enumerate(ordered) if w in _NEGATIVE), default=-1)
    if last_negative < 0:
        return False
    strong_at = [i for i, w in enumerate(ordered) if w in _STRONG or w in _KEYISH or w == "secret"]
    if not strong_at or max(strong_at) < last_negative:
        return True
    head = max(strong_at)
    if head > 0 and ordered[head - 1] in _NEGATIVE:  # "public key", "api key": the head's modifier
        return True
    return not _is_strong(set(ordered))


def judge_phrase(text: bytes) -> Verdict:
    """Walk the names in `text` from its end (nearest the value) outward.

    In prose, "X of the Y" and "X made with the Y" are about X: "the hash of my private key" is
    a hash, "the private key of the bot" is a key ("the value of the private key" is read as
    "the private key": its head says nothing)."""
    idents = [_without_conversion(x) for x in _IDENT.findall(text)[-_MAX_IDENTS:]]
    if any(x.lower() in _OF or x.lower() in _MADE_WITH for x in idents):
        return _prose(text) or _walk(idents)
    return _walk(idents)


# methods that turn a value into another spelling of itself: `shared_secret.hex()` is named by
# `shared_secret`, not by "hex" (which would make "secret hex", a private-key name)
_CONVERSIONS = {
    b"hex", b"to_hex", b"tohex", b"hex_str", b"to_bytes", b"tobytes", b"bytes", b"decode",
    b"encode", b"to_string", b"tostring", b"as_str", b"as_bytes", b"serialize", b"value",
}  # fmt: skip


def _without_conversion(ident: bytes) -> bytes:
    parts = ident.split(b".")
    while len(parts) > 1 and parts[-1].lower() in _CONVERSIONS:
        parts.pop()
    return b".".join(parts)


def _prose(text: bytes) -> Verdict | None:
    """The verdict of "X of the Y", "X made with the Y" in the last clause of `text`, if its
    head decides it."""
    clause = _CLAUSE.split(text.rstrip(b" \t:=\"'`,;"))[-1]  # "made by nak, my nsec": the last one
    idents = _IDENT.findall(clause)[-_MAX_IDENTS:]
    for i in range(len(idents) - 1, 0, -1):
        word = idents[i].lower()
        if word not in _OF and word not in _MADE_WITH:
            continue
        if len(idents) - i > 5:  # the preposition, then "my nostr private key" at most
            break
        head, tail = _walk(idents[:i]), _walk(idents[i + 1 :])
        if word in _MADE_WITH and tail is Verdict.STRONG:  # "a signature made with the key"
            words = [w for x in idents[max(0, i - 3) : i] for w in words_of(x.decode("ascii"))]
            if head is Verdict.NEGATIVE or _is_negative(words) or _MADE_FROM_A_KEY & set(words):
                return Verdict.NEGATIVE
        if head is not Verdict.NONE:  # "the private key of the bot", "the hash of my nsec"
            return head
        break
    return None


_CLAUSE = re.compile(rb"[,;!?]|\.\s")
_OF = {b"of", b"for"}
_MADE_WITH = {b"with", b"by", b"from"}
_MADE_FROM_A_KEY = {"encrypted", "signed", "derived", "computed", "generated"}


def _walk(idents: list[bytes]) -> Verdict:
    seen: set[str] = set()
    verdict = Verdict.NONE
    nearer = ""
    for at in range(len(idents) - 1, -1, -1):
        ident = idents[at]
        ordered = words_of(ident.decode("ascii"))
        words = set(ordered)
        if not words:
            continue
        if ident in _MODIFIERS and nearer in _DECLARATIONS:
            nearer = ident.decode("ascii").lower()
            continue  # `private val groupKey`: an access modifier, not the word "private"
        nearer = ident.decode("ascii").lower()
        if _is_negative(ordered) or _other_chain(words):
            return Verdict.NEGATIVE
        seen |= words
        if _is_strong(seen):
            # "my ethereum private key": the chain is named just before, as its own word
            return Verdict.NEGATIVE if _chain_before(idents, at, seen) else Verdict.STRONG
        if words & _WEAK or words & {"key"}:
            verdict = Verdict.WEAK
            continue
        if words <= _TRANSPARENT:
            continue
        break  # an unrelated name: it is what the value belongs to
    if verdict is Verdict.WEAK and seen & {"key"} and not seen & _WEAK:
        return Verdict.WEAK if seen & {"nostr"} else Verdict.NONE
    return verdict


def _chain_before(idents: list[bytes], at: int, seen: set[str]) -> bool:
    """Does another chain's name qualify the key name ending at `idents[at]`? Only a chain word
    right before it counts, past words like "my" or "the": in `I run a bitcoin node.
    NOSTR_PRIVATE_KEY=` the chain names the node, and a name that says nostr is a Nostr key."""
    if seen & {"nostr", "nsec", "npub"}:
        return False
    for x in reversed(idents[max(0, at - 3) : at]):
        words = set(words_of(x.decode("ascii")))
        if _other_chain(words):
            return True
        if not words <= _TRANSPARENT:
            return False
    return False


_ASSERTION = re.compile(rb"(?i)(?:assert\w*|expect\w*|\w*equals?|eq)!?\s*\($")


def _open_calls(before: bytes) -> Iterator[int]:
    """Offsets of the unclosed `(` in `before`, innermost first (`f(a, g(b, ` gives g's, then f's)."""
    if b"(" not in before:
        return
    depth = 0
    for i in range(len(before) - 1, -1, -1):
        c = before[i]
        if c == 0x29:  # )
            depth += 1
        elif c == 0x28:  # (
            if depth:
                depth -= 1
            else:
                yield i


def _compared_with(args_before: bytes) -> Verdict:
    """In an assertion (`assert_eq!(keys.secret_key(), "<hex>")`, `assertEqual(sk, "<hex>")`),
    the value is named by what it is compared with: the earlier arguments."""
    for i in _open_calls(args_before):
        if _ASSERTION.search(args_before, 0, i + 1):
            verdict = judge_phrase(args_before[i + 1 :])
            return verdict if verdict is Verdict.STRONG else Verdict.NONE
        return Verdict.NONE
    return Verdict.NONE


_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$.:")
_NAME_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$")


def _call_name(before: bytes, paren: int) -> bytes | None:
    """The name a call's `(` at `paren` follows (`[A-Za-z_$][0-9A-Za-z_$.:]*`, then only whitespace
    up to the parenthesis), as `re.search` of that pattern anchored at `paren` finds it, read
    backwards from the parenthesis: the regex tried every position of up to 1 KB before it
    (0.2 ms a call in a hash test file)."""
    head = before[:paren]
    end = len(head.rstrip())
    start = end
    while start > 0 and head[start - 1] in _NAME_CHARS:
        start -= 1
    while start < end and head[start] not in _NAME_START:
        start += 1
    return head[start:end] if start < end else None


def _in_key_call(before: bytes) -> bool:
    """Is the value an argument of a call that takes a private key? Walks out through the
    unclosed calls around it (`finalizeEvent(t, hexToBytes('...` reads through `hexToBytes`)."""
    for i in _open_calls(before):
        ident = _call_name(before, i)
        if ident is None:
            return False
        joined = re.sub(rb"[^a-z0-9]", b"", ident.lower()).decode("ascii")
        if any(call in joined for call in _KEY_CALLS):
            return True
        called = re.split(rb"::|\.|->", ident)[-1]
        if (
            called[:1].isupper()
            and called.lower().replace(b"_", b"").decode("ascii") in _KEY_CONSTRUCTORS
            and judge_phrase(before[i + 1 :]) is not Verdict.NEGATIVE
        ):
            return True
        if not set(words_of(ident.decode("ascii"))) <= _TRANSPARENT:
            return False
    return False


_LEAD_ONLY = re.compile(rb"^[\s\"'`>*\-+|:=(\[{,]*(?:0[xX])?$")
_PUNCT_LINE = re.compile(rb"^[\s`'\"~*#=\-_|>{}\[\](),;:]*$")


class Memo:
    """What judging one buffer has learnt: each value's verdict (by where it ends) and each
    table row's header, so that walks back over lists and tables stop at the last value or
    row already judged, and a scan stays linear however long the list or table."""

    __slots__ = ("declarations", "headers", "values")

    def __init__(self) -> None:
        self.values: dict[int, tuple[Confidence | None, str]] = {}
        self.headers: dict[tuple[int, bytes], bytes | None] = {}
        self.declarations: dict[bytes, list[bytes]] | None = None  # functions and their parameters


def judge(
    buf: bytes, start: int, end: int, nostr_file: bool, memo: Memo | None = None
) -> tuple[Confidence | None, str]:
    """Confidence that the hex value at buf[start:end] is a private key, from its names alone;
    None when the names say it is not one (or say nothing).

    A value that is one element of a list (`["<hex>", "<hex>"]`, a YAML or JSON list over
    several lines) and has no name of its own is judged as the list's first element: by the
    list's name. Pass the same `memo` for every value of one buffer, in order: each walk then
    stops at the element before (without one, at most `_MAX_SIBLINGS` elements are walked)."""
    memo = memo or Memo()
    visited: list[tuple[int, int]] = []
    result: tuple[Confidence | None, str] = (None, "")
    judged = -1  # the element of `visited` that was judged by its own names
    for _ in range(_MAX_SIBLINGS):
        known = memo.values.get(end)
        if known is not None:
            result = known
            break
        visited.append((start, end))
        confidence, reason, sibling = _judge_one(buf, start, end, nostr_file, memo)
        if sibling is None:
            result, judged = (confidence, reason), len(visited) - 1
            break
        start, end = sibling
    if result[1].startswith(_PASSED_AS):
        # arguments of one call over several lines: each is named by its own parameter, not by
        # the first one's (`assertCryptPriv(t,\n "<sk1>",\n "<sk2>",\n "<conversation key>",`)
        for at, (s, e) in enumerate(visited):
            own = result if at == judged else _judge_one(buf, s, e, nostr_file, memo, own=True)
            memo.values[e] = (own[0], own[1])
        return memo.values[visited[0][1]] if visited else result
    for _start, seen in visited:
        memo.values[seen] = result
    return result


_PASSED_AS = "passed as the parameter"


_MAX_SIBLINGS = 32


def _judge_one(
    buf: bytes, start: int, end: int, nostr_file: bool, memo: Memo, own: bool = False
) -> tuple[Confidence | None, str, tuple[int, int] | None]:
    """One value's verdict, or the earlier element of its list to judge it by (never with
    `own`: then the value is judged by its own names only)."""
    at_line_start, line_start, before_at, before = _before(buf, start)
    decided = _decided_before(before)
    if decided is not None:
        return decided[0], decided[1], None
    return _judge_rest(buf, start, end, nostr_file, memo, own, at_line_start, line_start, before_at, before)


def _before(buf: bytes, start: int) -> tuple[bool, int, int, bytes]:
    """Is the value at a line's start (its line not longer than a window), where its line
    starts, and the text on its line right before it (at most 120 bytes) and where that starts."""
    # never look further back than a window: on a minified line of megabytes, the line start is
    # "far away", and reading back to it for every value would make a scan quadratic
    window = max(0, start - _LOOKBACK)
    newline = buf.rfind(b"\n", window, start)
    at_line_start = newline >= 0 or window == 0  # else the line is longer than the window
    line_start = newline + 1 if newline >= 0 else window
    before_at = max(line_start, start - 120)
    return at_line_start, line_start, before_at, buf[before_at:start]


def vetoed_by_its_line(buf: bytes, start: int) -> bool:
    """Does the text right before the value at `start` name it as something else (a hash, an
    id) whatever the rest of the buffer says? `judge` says VETOED for such a value."""
    return _decided_before(_before(buf, start)[3]) == _VETO


@functools.lru_cache(maxsize=4096)
def _decided_before(before: bytes) -> tuple[Confidence | None, str] | None:
    """The verdict of a value when the text right before it on its line (`before`) decides it
    alone: passed to a key call or command, or named a private key or something else by its
    nearest names; None when the rest of the buffer may matter. A pure function of `before`,
    cached: a lock file's 400 `checksum = "` lines are read once per process, not per value."""
    cut = max(before.rfind(b","), before.rfind(b";"))
    prior: re.Match[bytes] | None = None
    for found in _LONG_HEX.finditer(before):
        prior = found
    if prior is not None:
        cut = max(cut, prior.end())
    if _in_key_call(before):
        return Confidence.HIGH, "passed to a call that takes a private key"
    if _KEY_COMMAND.search(before):
        return Confidence.HIGH, "passed to a command that takes a private key"
    nearest = before[cut + 1 :] if cut >= 0 else before
    verdict = judge_phrase(nearest)
    if verdict is Verdict.NEGATIVE and _MAKER_CALL.search(nearest):
        return None
    if verdict is Verdict.STRONG:
        return Confidence.HIGH, "assigned to a private-key name"
    if verdict is Verdict.NEGATIVE:
        return None, _veto_reason(nearest)
    return None


def _judge_rest(
    buf: bytes,
    start: int,
    end: int,
    nostr_file: bool,
    memo: Memo,
    own: bool,
    at_line_start: bool,
    line_start: int,
    before_at: int,
    before: bytes,
) -> tuple[Confidence | None, str, tuple[int, int] | None]:
    """`_judge_one` for a value that the text right before it does not decide alone (in full:
    the same verdict as `_decided_before` where that one decides)."""
    # do not read names that belong to an earlier value on the line
    cut = max(before.rfind(b","), before.rfind(b";"))
    prior: re.Match[bytes] | None = None
    for found in _LONG_HEX.finditer(before):  # the last earlier value on the line, if any
        prior = found
    if prior is not None:
        cut = max(cut, prior.end())
    if _in_key_call(before):  # `getPublicKey(hexToBytes('...`, `nsecEncode('...`
        return Confidence.HIGH, "passed to a call that takes a private key", None
    if _KEY_COMMAND.search(before):  # `nak key public <hex>` prints the key's public key
        return Confidence.HIGH, "passed to a command that takes a private key", None
    nearest = before[cut + 1 :] if cut >= 0 else before
    # `make_event("<hex>"`: the call names what it makes, not the value it is given
    verdict = judge_phrase(nearest)
    if verdict is Verdict.NEGATIVE and _MAKER_CALL.search(nearest):
        verdict = Verdict.NONE  # but `NewPlainKeySigner("<hex>"` names a key
    how = "named"
    if (
        verdict is Verdict.NONE
        and not own
        and prior is not None
        and _is_element(prior.group(), before[prior.end() :])
        and not _CALL_ARGS.search(before)  # `f("<hex>", "<hex>")`: arguments, each its own
    ):
        return None, "", (before_at + prior.start(), before_at + prior.end())  # `["<hex>", "<hex>"`
    if verdict is Verdict.NONE and cut >= 0:
        verdict = _compared_with(before[:cut])
    if verdict is Verdict.NONE and cut >= 0 and _LOOKUP_DEFAULT.search(before, 0, cut + 1):
        # `os.getenv("NOSTR_KEY", "<hex>")`, `config.get("nsec", "<hex>")`: the default of a
        # lookup is named by the key looked up (and what it is assigned to)
        verdict = judge_phrase(before[:cut])
    lead_only = at_line_start and _LEAD_ONLY.match(buf[line_start:start]) is not None
    if verdict is Verdict.NONE and _ROW_START.search(before) is not None:
        # a row of a table (`{"<hex>", "abc"},` under a `[]struct{ secretkey string; ... }`)
        from nsecguard import structure

        field = structure.row_field(buf, start)
        if field is not None:
            verdict, how = judge_phrase(field), "in a table whose column is named"
    if verdict is Verdict.NONE and at_line_start:
        previous = _previous_line(buf, line_start)
        if previous is not None:
            at, line = previous
            item = _LIST_ITEM.match(line)
            if lead_only and item and not own:  # one element of a list spread over lines
                return None, "", (at + item.start(1), at + item.end(1))
            if lead_only:
                verdict, how = judge_phrase(line[-160:]), "labelled on the line before"
                if verdict is Verdict.NEGATIVE and _MAKER_CALL.search(line):
                    verdict = Verdict.NONE
            elif _COMMENT_LINE.match(line):  # `# the bot's private key` over `KEY=<hex>`
                verdict, how = judge_phrase(line[-160:]), "described in a comment on the line before"
    if verdict is Verdict.NONE:
        line_end = buf.find(b"\n", end, end + 120)
        after = buf[end : line_end if line_end >= 0 else end + 120]
        comment = _COMMENT.search(after)
        if comment:
            verdict = judge_phrase(comment.group(1))
            how = "described in a trailing comment"
    if verdict is Verdict.NONE and at_line_start:
        header = _column_header(buf, line_start, start, memo)
        if header is not None:
            verdict, how = judge_phrase(header), "in a column headed"
    if verdict in (Verdict.NONE, Verdict.WEAK):
        afar = _named_from_afar(buf, start, end, line_start, before, nearest, verdict, memo)
        if afar is not None:
            verdict, how = afar
    if verdict is Verdict.STRONG:
        if how == "named":
            return Confidence.HIGH, "assigned to a private-key name", None
        if how.startswith("!"):  # as sure as a name of its own: a parameter, a section path
            return Confidence.HIGH, how[1:], None
        return Confidence.MEDIUM, f"{how} as a private key", None
    if verdict is Verdict.WEAK:
        named = how.lstrip("!") if how.startswith(("in a table", "passed as")) else "named"
        if how == "named" and _OPENS_LIST.search(nearest) and _only_keys(nearest):
            # `import_keys=['<hex>']`, `keys: [...]`: a list of bare "keys" in Nostr code is
            # people's public keys far more often than secrets (follows, imports, p tags)
            return Confidence.LOW, "an element of a list named only as keys", None
        if nostr_file:
            return Confidence.MEDIUM, f"{named} as a secret in a Nostr file", None
        return Confidence.LOW, f"{named} as a generic secret", None
    if verdict is Verdict.NEGATIVE:
        return None, _veto_reason(nearest), None
    return None, "", None


# a call that makes something from its arguments (`make_event(`, `createEvent(`, `build_note(`,
# `new_keys(`, `gen_event(`), the value its first argument, on the same line or the next
_MAKER_CALL = re.compile(
    rb"(?i)(?:^|[^\w$])(?:[\w$]+\.)*(?:make|create|build|new|gen|generate|mk)_?[a-z0-9_]*\s*\(\s*"
    rb"[\"'`]?(?:0x)?\s*$"
)


# a lookup by name with a default: `os.getenv("X",`, `os.environ.get('X',`, `config.get("X",`,
# `env::var("X").unwrap_or("`... only the one-literal-key form, up to the comma before the value
_LOOKUP_DEFAULT = re.compile(
    rb"(?i)(?:getenv|environ\.get|\.get|setdefault|env_or|getenv_or)\s*\(\s*[\"'`][\w.-]+[\"'`]\s*,$"
)
_OPENS_LIST = re.compile(rb"\[\s*[\"'`]?(?:0[xX])?$")


def _only_keys(text: bytes) -> bool:
    """Is `keys` the only secret-ish word of the names before the value?"""
    words = {w for x in _IDENT.findall(text)[-2:] for w in words_of(x.decode("ascii"))}
    return words & _WEAK == {"keys"} and not words & _SECRETISH


_CALL_ARGS = re.compile(rb"[\w$]\s*\([^\[\]{}()]*$")  # inside a call's parentheses
_ROW_START = re.compile(rb"[\[{(][^\[\]{}()]*$")  # the value is inside a bracket opened before it
_NAMED_AFTER = (
    # assert.Equal(t, "<hex>", secretKey); assertEquals("<hex>", keys.secretKey())
    re.compile(rb"^[\"'`]?\s*,\s*([A-Za-z_$][\w$.]*)(?:\(\))?\s*[,)]"),
    # expect("<hex>").toBe(sk); expect('<hex>').not.toEqual(pubkey)
    re.compile(rb"^[\"'`]?\s*\)\s*\.\s*(?:not\s*\.\s*)?to\w*\(\s*([A-Za-z_$][\w$.]*)(?:\(\))?\s*\)"),
)
_NOSTR_SECTIONS = {"nostr", "nsec", "signing", "signer", "identity", "bot"}
_ENTRY_NAME = re.compile(rb"[A-Za-z_$][\w$-]*[\"'`]?\s*(?::=|=|:)\s*[\"'`]?(?:0[xX])?$")


def _named_from_afar(
    buf: bytes,
    start: int,
    end: int,
    line_start: int,
    before: bytes,
    nearest: bytes,
    verdict: Verdict,
    memo: Memo,
) -> tuple[Verdict, str] | None:
    """A name that is not right before the value: what it is compared with after it, the
    parameter it is passed as, the field of its table row, or the sections around it."""
    from nsecguard import structure

    calls = list(_open_calls(before))
    if verdict is Verdict.NONE and calls:
        inner = calls[0]
        if _ASSERTION.search(before, 0, inner + 1):
            after = buf[end : end + 160]
            for pattern in _NAMED_AFTER:
                m = pattern.match(after)
                if m is not None and judge_phrase(m.group(1)) is Verdict.STRONG:
                    return Verdict.STRONG, "!compared with a private-key name"
            return None
        found = _parameter(buf, before, inner, memo)
        if found is not None:
            return found
    elif verdict is Verdict.NONE and not before.strip(b" \t\"'`"):
        # the value opens its line: an argument of a call spread over lines (`assertCryptPriv(t,`
        # then `"<hex>",`), named by the parameter it is passed as
        floor = max(0, start - _ARGS_LOOKBACK)
        paren = next(structure.open_brackets(buf, start, floor), None)
        if paren is not None and buf[paren] == ord("("):
            return _parameter(buf, buf[floor:start], paren - floor, memo)
    entry = _ENTRY_NAME.search(nearest)
    if entry is None:
        return None  # an unnamed value: no section names it
    path = [*structure.enclosing_keys(buf, start), *structure.yaml_parents(buf, line_start)]
    table = structure.toml_table(buf, line_start)
    if table is not None:
        path.append(table)
    if not path:
        return None
    own_name = _IDENT.match(entry.group())
    names = [*reversed(path), *([own_name.group()] if own_name else [])]
    where = ".".join(p.decode("ascii", "replace") for p in names)
    section_words = {w for p in path for w in words_of(p.decode("ascii", "replace"))}
    own = {w for x in _IDENT.findall(nearest)[-2:] for w in words_of(x.decode("ascii"))}
    if _other_chain(section_words):
        return None
    if verdict is Verdict.WEAK and (_is_strong(section_words | own) or section_words & _NOSTR_SECTIONS):
        return Verdict.STRONG, f"!named as a secret under a Nostr section ({where})"
    if verdict is Verdict.NONE and any(judge_phrase(p) is Verdict.STRONG for p in path[:1]):
        return Verdict.STRONG, f"!an entry of a map named as private keys ({where})"
    return None


_ARGS_LOOKBACK = 1024


def _parameter(buf: bytes, before: bytes, paren: int, memo: Memo) -> tuple[Verdict, str] | None:
    """`checkShared(t, "<hex>")` with `func checkShared(t *testing.T, priv string)` declared in
    the same text: the value is named by the parameter it is passed as."""
    from nsecguard import structure

    name = _call_name(before, paren)
    if name is None:
        return None
    called = re.split(rb"::|\.|->", name)[-1]
    index = structure.argument_index(before[paren + 1 :])
    if index is None:
        return None
    if memo.declarations is None:
        memo.declarations = structure.declarations(buf)
    params = memo.declarations.get(called)
    if params is None or index >= len(params):
        return None
    verdict = judge_phrase(params[index])
    if verdict not in (Verdict.STRONG, Verdict.WEAK):
        return None
    param = params[index].decode("ascii", "replace")
    how = f"passed as the parameter `{param}` of {called.decode('ascii', 'replace')}"
    return verdict, ("!" + how if verdict is Verdict.STRONG else how)


# command lines whose argument is a private key without a flag naming it (`--sec` is a name)
_KEY_COMMAND = re.compile(rb"(?i)(?:\bnak\s+key\s+(?:public|encrypt)|\bnoscl\s+setprivate)\s+[\"']?$")

# between two elements of a list on one line: quotes, a comma, spaces (not `], ["e", `)
_BETWEEN_ELEMENTS = re.compile(rb"[\s\"'`]*,[\s\"'`]*(?:0[xX])?")
# a line that is one element of a list: `  - <hex>`, `  "<hex>",`, `    '0x<hex>',`
_LIST_ITEM = re.compile(rb"^[ \t]*(?:-[ \t]+)?[\"'`]?(?:0[xX])?([0-9a-fA-F]{64})[\"'`]?[ \t]*,?[ \t]*\r?$")
_COMMENT_LINE = re.compile(rb"^[ \t]*(?:#|//|--|;|/\*|\*)")
_MAX_TABLE_ROWS = 64


def _is_element(value: bytes, between: bytes) -> bool:
    """Is the value after `between` the next element of a list that `value` is in?"""
    return len(value) == 64 and _BETWEEN_ELEMENTS.fullmatch(between) is not None


def _column_header(buf: bytes, line_start: int, start: int, memo: Memo) -> bytes | None:
    """In a table (CSV, TSV, markdown), the header cell over the value's column, if the header
    is near: the closest earlier row with as many separators and no long hex value in it."""
    head = buf[line_start:start]
    for sep in (b"|", b"\t", b","):
        column = head.count(sep)
        if column:
            break
    else:
        return None
    line_end = buf.find(b"\n", start, start + _LOOKBACK)
    cells = buf[line_start : line_end if line_end >= 0 else start].rstrip(b"\r").count(sep)
    header = _header_row(buf, line_start, sep, cells, memo)
    memo.headers[(line_start, sep)] = header
    if header is None:
        return None
    return header.split(sep)[column]


def _header_row(buf: bytes, line_start: int, sep: bytes, cells: int, memo: Memo) -> bytes | None:
    pos = line_start - 1
    floor = max(0, line_start - _LOOKBACK)
    for _ in range(_MAX_TABLE_ROWS):
        if pos <= floor:
            return None
        newline = buf.rfind(b"\n", floor, pos)
        if newline < 0 and floor:
            return None  # a row longer than the window
        prev_start = newline + 1
        line = buf[prev_start:pos].rstrip(b"\r")
        pos = prev_start - 1
        if line.count(sep) != cells:
            return None  # not the same table
        if (prev_start, sep) in memo.headers:
            return memo.headers[(prev_start, sep)]  # a row of this table already judged
        if _LONG_HEX.search(line) or _TABLE_RULE.match(line):
            continue  # another data row, or a markdown rule `|---|---|`
        return line
    return None


_TABLE_RULE = re.compile(rb"^[\s|:\-+=]*$")


VETOED = "named as something else (a hash, an id)"
_VETO = (None, VETOED)
NAMED_PUBLIC = "named as a public key"  # a proof by derivation may still show it is a private key
_PUBLIC_WORDS = {"pub", "pubkey", "pubkeys", "public", "publickey", "npub", "pk", "pkey", "xonly"}


# `pk` is as often a private key (`PK1 = "<hex>"`, `sender_pk`) as a public one: it vetoes a
# name, never a proof (the value's own public key in the text)
NAMED_PK = "named pk (a public or a private key)"
_AMBIGUOUS = {"pk", "pks", "pkey"}


def _veto_reason(text: bytes) -> str:
    """Why the name vetoed the value: a public-key name, an ambiguous `pk`, or a hash's or an
    id's name."""
    for ident in reversed(_IDENT.findall(text)[-_MAX_IDENTS:]):
        ordered = words_of(_without_conversion(ident).decode("ascii"))
        if ordered and _is_negative(ordered):
            public = set(ordered) & _PUBLIC_WORDS
            if public and public <= _AMBIGUOUS:
                return NAMED_PK
            return NAMED_PUBLIC if public else VETOED
    return VETOED


_LOOKBACK = 4096
_LONG_HEX = re.compile(rb"[0-9a-fA-F]{32,}")


def _previous_line(buf: bytes, line_start: int) -> tuple[int, bytes] | None:
    """The nearest earlier line with words on it (skipping fences and blank lines), if close,
    and where it starts."""
    pos = line_start - 1
    for _ in range(3):
        if pos <= 0:
            return None
        newline = buf.rfind(b"\n", max(0, pos - _LOOKBACK), pos)
        if newline < 0 and pos > _LOOKBACK:
            return None  # a line that long is no label
        prev_start = newline + 1
        line = buf[prev_start:pos]
        if not _PUNCT_LINE.match(line):
            return prev_start, line
        pos = prev_start - 1
    return None
