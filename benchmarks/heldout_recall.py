"""Recall and false positives of `nsecguard scan` on real corpora, against a ground truth.

    python benchmarks/heldout_recall.py CORPUS [CORPUS ...] [--verdicts FILE] [--review]
        [--no-detect-secrets] [--seen NAME ...]

Ground truth, per corpus (a directory: a clone, an unpacked npm tarball or PyPI sdist):
- every exact run of 64 hex digits that is a valid secp256k1 scalar is a candidate; it is a
  true key when its derived public key is written anywhere in the same corpus (64 hex, 02/03
  compressed, npub, nprofile), "well-known" when it is a tiny or patterned scalar (no one's
  secret), else not a key unless the verdict file (reviewed by eye) says so;
- every checksum-valid nsec and ncryptsec, and every `secret=` of a bunker:// or
  nostr+walletconnect:// URI, is a secret unless the verdict file says otherwise.

`nsecguard scan` runs once per corpus at `--min-confidence low`; a finding at medium or above is
reported at the default level. A default-level finding that is no secret of the ground truth is
a false positive. detect-secrets (its default plugins) runs on the same tree: its hex-key recall
and the share of its output that is no secret ("noise").

The verdict file is JSON, outside the repository: {"<corpus>/<path>:<line>:<fingerprint>":
"key" | "not"}, and {"<corpus>/<path>:<line>:<kind>": "not" | "secret"} for the other kinds
("secret": a finding with no candidate of its own that is one, such as a bent nsec);
`--review` prints what needs a verdict with every long hex or bech32 run masked.
Only counts, paths, line numbers and public fingerprints are printed, and with `--review` the
lines around a value with every hex run, bech32-like run, long token and `secret=` value masked:
never a key.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from nsecguard import bech32, keys
from nsecguard.rules.pubkeys import HEX_RUN, written_in

_NSEC = re.compile(rb"(?i)nsec1[02-9ac-hj-np-z]{58}")
_NCRYPTSEC = re.compile(rb"(?i)ncryptsec1[02-9ac-hj-np-z]{100,}")
_URI_SECRET = re.compile(
    rb"(?i)(bunker|nostr\+walletconnect):(?://)?[^\s\"'`<>]*?[?&]secret=([^\s&\"'`<>#]+)"
)
# what `--review` masks in the lines it shows: long hex, anything bech32-like (a key bent by a
# slip too), and every secret= value
_MASK = re.compile(
    rb"[0-9a-fA-F]{32,}|(?i:n(?:sec|pub|profile|cryptsec)1[02-9ac-hj-np-z]{8,}|[02-9ac-hj-np-z]{24,})"
    rb"|(?i:(?<=secret=)[^&\s\"'`<>#]+)|[A-Za-z0-9+/_-]{40,}={0,2}"
)
_SECRETISH = re.compile(rb"(?i)priv|secret|\bsk\b|seckey|nsec|signing")
MAX_FILE = 8 << 20
DEFAULT_LEVELS = {"medium", "high", "certain"}


@dataclass
class Candidate:
    rel: str
    line: int
    value: bytes
    written: bytes  # as it stands in the file, for detect-secrets' hashes (never printed)
    fingerprint: str = ""
    truth: str = "not"  # key | well-known | not
    how: str = ""  # same-file | cross-file | reviewed


@dataclass
class Secret:
    rel: str
    line: int
    kind: str
    written: bytes
    truth: str = "secret"


@dataclass
class Corpus:
    root: str
    name: str
    hexes: list[Candidate] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    files: int = 0
    size: int = 0


def _files(root: str) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        out.extend(os.path.join(dirpath, n) for n in sorted(filenames))
    return out


def collect(root: str) -> Corpus:
    corpus = Corpus(root, os.path.basename(os.path.normpath(root)))
    written: set[bytes] = set()
    per_file: dict[str, frozenset[bytes]] = {}
    for path in _files(root):
        try:
            if os.path.islink(path) or os.path.getsize(path) > MAX_FILE:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        rel = os.path.relpath(path, root)
        corpus.files += 1
        corpus.size += len(data)
        pubs = written_in(data)
        per_file[rel] = pubs
        written |= pubs
        for m in HEX_RUN.finditer(data):
            if m.end() - m.start() != 64:
                continue
            value = bytes.fromhex(m.group().decode())
            if keys.is_valid_secret(value):
                line = data.count(b"\n", 0, m.start()) + 1
                corpus.hexes.append(Candidate(rel, line, value, m.group()))
        for m in _NSEC.finditer(data):
            d = bech32.decode(m.group(), hrp="nsec")
            if d is not None and keys.is_valid_secret(d.data):
                corpus.secrets.append(Secret(rel, _line(data, m.start()), "nsec", m.group()))
        for m in _NCRYPTSEC.finditer(data):
            if bech32.decode(m.group(), hrp="ncryptsec") is not None:
                corpus.secrets.append(Secret(rel, _line(data, m.start()), "ncryptsec", m.group()))
        for m in _URI_SECRET.finditer(data):
            kind = "bunker-secret" if m.group(1).lower() == b"bunker" else "nwc-secret"
            corpus.secrets.append(Secret(rel, _line(data, m.start(2)), kind, m.group(2)))
        for at, phrase in _seed_phrases(data):
            corpus.secrets.append(Secret(rel, _line(data, at), "mnemonic", phrase))
    derived: dict[bytes, bytes] = {}
    for c in corpus.hexes:
        pub = derived.get(c.value) or keys.xonly_pubkey(c.value)
        derived[c.value] = pub
        c.fingerprint = keys.fingerprint_pubkey(pub)
        if keys.well_known(c.value) is not None:
            c.truth = "well-known"
        elif pub in written:
            c.truth, c.how = "key", ("same-file" if pub in per_file[c.rel] else "cross-file")
    return corpus


_WORD = re.compile(rb"[A-Za-z]+")


def _seed_phrases(data: bytes) -> list[tuple[int, bytes]]:
    """Every window of 12-24 English BIP-39 words in a row (any separators but letters) whose
    checksum the `mnemonic` package accepts, in runs of at most 30 list words (a longer run is
    a word list), found without nsecguard's finder: (offset, the phrase)."""
    from mnemonic import Mnemonic

    m = Mnemonic("english")
    words = {w.encode() for w in m.wordlist}
    out: list[tuple[int, bytes]] = []
    run: list[tuple[int, bytes]] = []
    for w in [*_WORD.finditer(data), None]:
        token = w.group().lower() if w is not None else b""
        if w is not None and token in words:
            run.append((w.start(), token))
            continue
        if 12 <= len(run) <= 30:
            i = 0
            while i + 12 <= len(run):
                for n in (24, 21, 18, 15, 12):
                    phrase = b" ".join(t for _, t in run[i : i + n])
                    if len(run) - i >= n and m.check(phrase.decode()):
                        if len(set(phrase.split())) <= 3:  # `abandon ... about`: a spec test phrase
                            i += n
                            break
                        out.append((run[i][0], phrase))
                        i += n
                        break
                else:
                    i += 1
        run = []
    return out


def _line(data: bytes, at: int) -> int:
    return data.count(b"\n", 0, at) + 1


def apply_verdicts(corpus: Corpus, verdicts: dict[str, str]) -> None:
    for c in corpus.hexes:
        v = verdicts.get(f"{corpus.name}/{c.rel}:{c.line}:{c.fingerprint}")
        if v == "key" and c.truth == "not":
            c.truth, c.how = "key", "reviewed"
        elif v == "not" and c.truth == "key":
            c.truth, c.how = "not", ""
    for s in corpus.secrets:
        if verdicts.get(f"{corpus.name}/{s.rel}:{s.line}:{s.kind}") == "not":
            s.truth = "not"


def run_nsecguard(root: str, exe: list[str]) -> list[dict[str, object]]:
    cmd = [*exe, "scan", "--format", "json", "--no-ignore", "--no-progress", "--min-confidence", "low", "."]
    cp = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if cp.returncode not in (0, 1):
        sys.exit(f"nsecguard failed on {root} (exit {cp.returncode})")
    findings: list[dict[str, object]] = json.loads(cp.stdout)["findings"]
    return findings


def run_detect_secrets(root: str, exe: str) -> dict[tuple[str, int], set[str]]:
    cp = subprocess.run([exe, "scan", "--all-files", "."], cwd=root, capture_output=True, text=True)
    out: dict[tuple[str, int], set[str]] = {}
    if cp.returncode != 0:
        return out
    for filename, results in json.loads(cp.stdout)["results"].items():
        for r in results:
            out.setdefault((os.path.normpath(filename), int(r["line_number"])), set()).add(r["hashed_secret"])
    return out


def _sha1(b: bytes) -> str:
    return hashlib.sha1(b).hexdigest()  # detect-secrets' hashed_secret


def _masked(root: str, rel: str, line: int) -> str:
    with open(os.path.join(root, rel), "rb") as f:
        lines = f.read().split(b"\n")
    shown = []
    for n in range(max(1, line - 2), min(len(lines), line + 1) + 1):
        text = _MASK.sub(b"<HEX>", lines[n - 1][:200]).decode("utf-8", "replace")
        shown.append(f"    {'>' if n == line else ' '}{n}: {text}")
    return "\n".join(shown)


@dataclass
class Figures:
    true_hex: int = 0
    same_file: int = 0
    found_default: int = 0
    found_low: int = 0
    found_same_file: int = 0
    secrets: int = 0
    secrets_found: int = 0
    false_positives: int = 0
    default_findings: int = 0
    ds_hex: int = 0
    ds_results: int = 0
    ds_noise: int = 0


def measure(
    corpus: Corpus, exe: list[str], ds: str | None, review: bool, verdicts: dict[str, str]
) -> Figures:
    fig = Figures()
    findings = run_nsecguard(corpus.root, exe)
    by_hex: dict[tuple[str, int, str], str] = {}
    by_kind: dict[tuple[str, int, str], str] = {}
    for f in findings:
        rel, line, conf = os.path.normpath(str(f["path"])), int(str(f["line"])), str(f["confidence"])
        if f["kind"] == "hex-key":
            by_hex[(rel, line, str(f["fingerprint"]))] = conf
        else:
            by_kind[(rel, line, str(f["kind"]))] = conf
    truth_hex = {(c.rel, c.line, c.fingerprint): c for c in corpus.hexes}
    for c in corpus.hexes:
        if c.truth != "key":
            continue
        fig.true_hex += 1
        fig.same_file += c.how == "same-file"
        conf = by_hex.get((c.rel, c.line, c.fingerprint))
        fig.found_low += conf is not None
        fig.found_default += conf in DEFAULT_LEVELS
        fig.found_same_file += c.how == "same-file" and conf in DEFAULT_LEVELS
        if review and conf not in DEFAULT_LEVELS:
            print(f"  MISSED {c.how} ({conf or 'none'}) {corpus.name}/{c.rel}:{c.line}:{c.fingerprint}")
            print(_masked(corpus.root, c.rel, c.line))
    for s in corpus.secrets:
        if s.truth != "secret":
            continue
        fig.secrets += 1
        conf = by_kind.get((s.rel, s.line, s.kind))
        fig.secrets_found += conf in DEFAULT_LEVELS
        if review and conf not in DEFAULT_LEVELS:
            print(f"  MISSED {s.kind} {s.rel}:{s.line} ({conf or 'none'})")
    secret_places = {(s.rel, s.line, s.kind) for s in corpus.secrets if s.truth == "secret"}
    # a finding the reviewer accepted without a candidate of its own (a bent nsec, repaired)
    secret_places |= {
        (r, n, k) for (r, n, k) in by_kind if verdicts.get(f"{corpus.name}/{r}:{n}:{k}") == "secret"
    }
    for key, conf in [*by_hex.items(), *by_kind.items()]:
        if conf not in DEFAULT_LEVELS:
            continue
        fig.default_findings += 1
        c = truth_hex.get(key)
        if (c is not None and c.truth == "key") or key in secret_places:
            continue
        fig.false_positives += 1
        if review:
            what = c.truth if c is not None else "no candidate"
            print(f"  FALSE ({conf}, {what}) {corpus.name}/{key[0]}:{key[1]}:{key[2]}")
            print(_masked(corpus.root, key[0], key[1]))
    if review:  # unproven candidates whose neighbourhood sounds like a secret: review by eye
        for c in corpus.hexes:
            if c.truth == "not" and (c.rel, c.line, c.fingerprint) not in by_hex:
                text = _masked(corpus.root, c.rel, c.line)
                if _SECRETISH.search(text.encode()):
                    print(f"  UNPROVEN {corpus.name}/{c.rel}:{c.line}:{c.fingerprint}")
                    print(text)
    if ds is not None:
        results = run_detect_secrets(corpus.root, ds)
        truth_hashes: dict[tuple[str, int], set[str]] = {}
        for c in corpus.hexes:
            if c.truth == "key":
                h = {_sha1(c.written), _sha1(c.written.lower()), _sha1(b"0x" + c.written)}
                truth_hashes.setdefault((c.rel, c.line), set()).update(h)
        for s in corpus.secrets:
            if s.truth == "secret":
                truth_hashes.setdefault((s.rel, s.line), set()).add(_sha1(s.written))
        for c in corpus.hexes:
            if c.truth == "key" and results.get((c.rel, c.line), set()) & {_sha1(c.written)}:
                fig.ds_hex += 1
        for place, hashes in results.items():
            fig.ds_results += len(hashes)
            fig.ds_noise += len(hashes - truth_hashes.get(place, set()))
    return fig


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}%" if d else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--verdicts", help="JSON verdict file (outside the repository)")
    ap.add_argument("--review", action="store_true", help="list misses, false positives, unproven")
    ap.add_argument("--no-detect-secrets", action="store_true")
    ap.add_argument("--seen", nargs="*", default=[], help="corpus names tuned on (reported apart)")
    ap.add_argument("--nsecguard", help="the command to measure (default: this environment's nsecguard)")
    args = ap.parse_args()
    bindir = os.path.dirname(sys.executable)
    exe = (
        shlex.split(args.nsecguard)
        if args.nsecguard
        else [shutil.which("nsecguard", path=bindir) or "nsecguard"]
    )
    ds = None if args.no_detect_secrets else (shutil.which("detect-secrets", path=bindir) or None)
    verdicts: dict[str, str] = {}
    if args.verdicts and os.path.exists(args.verdicts):
        with open(args.verdicts) as f:
            verdicts = json.load(f)
    totals: dict[str, Figures] = {"seen": Figures(), "held-out": Figures()}
    header = (
        f"{'corpus':44} {'MB':>5} {'hex':>4} {'same':>4} {'default':>9} {'low':>9} {'secrets':>7}"
        f" {'FP':>3} {'ds hex':>9} {'ds noise':>13}"
    )
    rows = []
    for root in args.corpora:
        corpus = collect(root)
        apply_verdicts(corpus, verdicts)
        if args.review:
            print(f"== {corpus.name}")
        fig = measure(corpus, exe, ds, args.review, verdicts)
        group = "seen" if corpus.name in args.seen else "held-out"
        total = totals[group]
        for name in vars(fig):
            setattr(total, name, getattr(total, name) + getattr(fig, name))
        rows.append(_row(f"{corpus.name} ({group})", corpus.size, fig))
    print(header)
    print("\n".join(rows))
    for group, fig in totals.items():
        if fig.true_hex or fig.default_findings:
            print(_row(f"TOTAL {group}", 0, fig))


def _row(name: str, size: int, fig: Figures) -> str:
    ds = f"{fig.ds_hex} {_pct(fig.ds_hex, fig.true_hex)}" if fig.ds_results else "-"
    noise = f"{fig.ds_noise}/{fig.ds_results} {_pct(fig.ds_noise, fig.ds_results)}" if fig.ds_results else "-"
    return (
        f"{name:44} {size / 1e6:5.1f} {fig.true_hex:4} {fig.same_file:4}"
        f" {fig.found_default:4} {_pct(fig.found_default, fig.true_hex):>4}"
        f" {fig.found_low:4} {_pct(fig.found_low, fig.true_hex):>4}"
        f" {fig.secrets_found:3}/{fig.secrets:<3} {fig.false_positives:3} {ds:>9} {noise:>13}"
    )


if __name__ == "__main__":
    main()
