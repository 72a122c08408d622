"""`nsecguard relay-policy` driven through strfry's write-policy protocol, end to end."""

from __future__ import annotations

import json
import os
import select
import subprocess
from typing import Any

import pytest
from nostr_helpers import assert_no_key, event, new_key, rand_hex, request

from nsecguard_nostr.event import scan_event
from nsecguard_nostr.policy import PolicyConfig, reject_message


def run_policy(exe: str, lines: list[str], *args: str) -> tuple[list[dict[str, Any]], str, str]:
    proc = subprocess.run(
        [exe, "relay-policy", *args],
        input="".join(line + "\n" for line in lines).encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    out = proc.stdout.decode()
    answers = [json.loads(line) for line in out.splitlines()]
    for line in out.splitlines():  # minified: one line each, no spaces between tokens
        assert line == json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False)
    return answers, out, proc.stderr.decode()


@pytest.fixture(scope="module")
def scenario(nsecguard_exe: str) -> dict[str, Any]:
    """One run of the policy over every kind of request, shared by the tests below."""
    author, tagged, in_tag, wallet_key, other = new_key(), new_key(), new_key(), new_key(), new_key()
    events = {
        "clean": event("gm nostr, coffee time"),
        "reply": event("agreed", [["e", rand_hex(), "wss://relay.example.com", "reply"], ["p", rand_hex()]]),
        "reaction": event("+", [["e", rand_hex()], ["p", rand_hex()]], kind=7),
        "contacts": event("", [["p", rand_hex()] for _ in range(300)], kind=3),
        "hash-named": event(f"sha256: {rand_hex()}"),
        "nsec-content": event(f"my bot runs with --sec {other.nsec}"),
        "nsec-own": event(f"here is my nsec {author.nsec}", pubkey=author.pubhex),
        "nsec-tag": event("gm", [["t", "nostr"], ["client", in_tag.nsec]]),
        "nsec-p-tag": event("hi", [["p", in_tag.nsec]]),
        "hex-own": event(f"oops {author.hex}", pubkey=author.pubhex),
        "hex-p-tag": event(f"for you {tagged.hex}", [["p", tagged.pubhex]]),
        "hex-named": event(f"NOSTR_PRIVATE_KEY={other.hex}"),
        "nwc": event(
            f"nostr+walletconnect://{rand_hex()}?relay=wss%3A%2F%2Fr.example.com&secret={wallet_key.hex}"
        ),
        "bunker": event(f"connect with bunker://{rand_hex()}?relay=wss://r.example.com&secret=8c1f2d9e77"),
        "repost-of-leak": event(json.dumps(event(f"key {other.nsec}")), [["e", rand_hex()]], kind=6),
        "profile": event(json.dumps({"name": "bot", "about": f"NOSTR_NSEC={author.nsec}"}), kind=0),
    }
    lines: list[str] = []
    expected: list[str] = []  # the event ids, in order, of the lines that get an answer
    for name, ev in events.items():
        lines.append(request(ev))
        expected.append(ev["id"])
        if name == "reply":  # malformed lines between well-formed ones
            lines += [
                "this is not json {",
                "[1, 2, 3]",
                '{"type":"new"}',
                '{"type":"new","event":{"content":"no id"}}',
                '{"type":"new","event":"not an object"}',
                "\x00\x01\x02",
                f'{{"type":"new","event":{{"content":"{other.nsec}"}}}}',  # malformed and leaky
                "",
                json.dumps({"type": "lookback", "event": event("old")}),  # old strfry: no answer wanted
            ]
    answers, out, err = run_policy(nsecguard_exe, lines)
    return {
        "events": events,
        "answers": {a["id"]: a for a in answers},
        "order": [a["id"] for a in answers],
        "expected": expected,
        "out": out,
        "err": err,
        "keys": (author, tagged, in_tag, wallet_key, other),
    }


def test_exactly_one_answer_per_well_formed_request_in_order(scenario: dict[str, Any]) -> None:
    assert scenario["order"] == scenario["expected"]


def test_clean_events_are_accepted(scenario: dict[str, Any]) -> None:
    for name in ("clean", "reply", "reaction", "contacts", "hash-named"):
        answer = scenario["answers"][scenario["events"][name]["id"]]
        assert answer["action"] == "accept", name
        assert "msg" not in answer


@pytest.mark.parametrize(
    "name",
    [
        "nsec-content",
        "nsec-own",
        "nsec-tag",
        "nsec-p-tag",
        "hex-own",
        "hex-p-tag",
        "hex-named",
        "nwc",
        "bunker",
        "repost-of-leak",
        "profile",
    ],
)
def test_leaks_are_rejected(scenario: dict[str, Any], name: str) -> None:
    answer = scenario["answers"][scenario["events"][name]["id"]]
    assert answer["action"] == "reject"
    assert answer["msg"].startswith("blocked: this event contains ")


def test_messages_name_the_npub_and_say_compromised(scenario: dict[str, Any]) -> None:
    author, tagged, in_tag, wallet_key, other = scenario["keys"]
    answers, events = scenario["answers"], scenario["events"]

    def msg(name: str) -> str:
        return str(answers[events[name]["id"]]["msg"])

    assert msg("nsec-content") == (
        f"blocked: this event contains the private key of {other.npub} — "
        "that key is compromised: stop using it and move to a new key"
    )
    assert msg("nsec-own").startswith(f"blocked: this event contains your own private key ({author.npub}) — ")
    assert msg("hex-own").startswith(f"blocked: this event contains your own private key ({author.npub}) — ")
    assert "compromised" in msg("hex-own")
    assert tagged.npub in msg("hex-p-tag") and "your own" not in msg("hex-p-tag")
    assert in_tag.npub in msg("nsec-tag") and in_tag.npub in msg("nsec-p-tag")
    assert wallet_key.npub in msg("nwc") and "wallet" in msg("nwc")
    assert "remote-signer" in msg("bunker")
    assert other.npub in msg("repost-of-leak")


def test_malformed_lines_are_logged_not_echoed(scenario: dict[str, Any]) -> None:
    err = scenario["err"]
    assert err.count("skipped a malformed line") == 7
    assert "end of input" in err


def test_no_key_in_any_output(scenario: dict[str, Any]) -> None:
    assert_no_key(scenario["out"] + scenario["err"], *scenario["keys"])


def test_rejections_are_logged_with_npub_and_ownership(scenario: dict[str, Any]) -> None:
    author = scenario["keys"][0]
    own_id = scenario["events"]["hex-own"]["id"]
    line = next(line for line in scenario["err"].splitlines() if own_id in line)
    assert author.npub in line and "the author's own" in line


def test_each_answer_is_flushed_before_the_next_request(nsecguard_exe: str) -> None:
    """strfry sends one request and waits: the answer must come without more input or EOF."""
    key = new_key()
    proc = subprocess.Popen(
        [nsecguard_exe, "relay-policy"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        for ev, action in [(event("hello"), "accept"), (event(key.nsec), "reject"), (event("bye"), "accept")]:
            proc.stdin.write((request(ev) + "\n").encode())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, "no answer within 30 s: not flushed"
            answer = json.loads(os.read(proc.stdout.fileno(), 65536))
            assert answer["id"] == ev["id"] and answer["action"] == action
        proc.stdin.write(b"garbage\n")  # a malformed line is not fatal
        proc.stdin.flush()
        ev = event("still alive")
        proc.stdin.write((request(ev) + "\n").encode())
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == ev["id"]
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert_no_key(err, key)


def test_shadow_reject_and_filters(nsecguard_exe: str) -> None:
    key = new_key()
    leaky_note = event(f"key {key.nsec}")
    leaky_dm = event(f"key {key.nsec}", kind=4)
    leaky_tag = event("gm", [["t", key.nsec]])
    lines = [request(e) for e in (leaky_note, leaky_dm, leaky_tag)]

    answers, _, _ = run_policy(nsecguard_exe, lines, "--shadow-reject")
    assert [a["action"] for a in answers] == ["shadowReject"] * 3

    answers, _, _ = run_policy(nsecguard_exe, lines, "--skip-kinds", "4")
    assert [a["action"] for a in answers] == ["reject", "accept", "reject"]

    answers, _, _ = run_policy(nsecguard_exe, lines, "--kinds", "4-5")
    assert [a["action"] for a in answers] == ["accept", "reject", "accept"]

    answers, _, _ = run_policy(nsecguard_exe, lines, "--tags", "none")
    assert [a["action"] for a in answers] == ["reject", "reject", "accept"]

    answers, _, err = run_policy(nsecguard_exe, lines, "--no-content", "--quiet")
    assert [a["action"] for a in answers] == ["accept", "accept", "reject"]
    assert "rejected event" not in err


def test_bad_options_are_reported(nsecguard_exe: str) -> None:
    proc = subprocess.run([nsecguard_exe, "relay-policy", "--kinds", "one"], capture_output=True, timeout=30)
    assert proc.returncode == 2 and b"not a kind" in proc.stderr


def test_ids_are_echoed_only_when_they_are_what_they_claim(nsecguard_exe: str) -> None:
    """An event's id is echoed exactly when it is the event's hash (as strfry has checked);
    anything else (which strfry never sends) is answered with a placeholder, never echoed."""
    good = event("hi")
    odd = event("hi", event_id='we"ird\\id')
    upper = event("hi", event_id=good["id"].upper())
    wrong = event("hi", event_id=rand_hex())
    answers, _, _ = run_policy(nsecguard_exe, [request(ev) for ev in (good, odd, upper, wrong)])
    assert [a["id"] for a in answers] == [good["id"], "<invalid id>", "<invalid id>", "<invalid id>"]


def test_reject_message_counts_other_secrets() -> None:
    a, b = new_key(), new_key()
    leaks = scan_event(event(f"{a.nsec} and {b.nsec}"))
    msg = reject_message(leaks)
    assert msg.endswith("(and 1 more secret)")
    assert_no_key(msg, a, b)
    assert PolicyConfig().shadow is False


def test_answers_are_the_json_that_json_dumps_writes() -> None:
    from nsecguard_nostr.event import INVALID_ID
    from nsecguard_nostr.policy import answer

    for event_id in (rand_hex(), INVALID_ID, 'a"b\\c', "é"):
        for action, msg in (("accept", ""), ("reject", "blocked: x"), ("shadowReject", "")):
            body = {"id": event_id, "action": action, **({"msg": msg} if msg else {})}
            expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
            assert answer(event_id, action, msg) == expected.encode(), (event_id, action)


def _deep_repost(nsec: str, depth: int = 1000) -> dict[str, Any]:
    """A well-formed kind-6 repost whose content is an event nesting `depth` levels."""
    inner = (
        '{"pubkey":"' + rand_hex() + '","content":"' + nsec + '","tags":' + "[" * depth + "]" * depth + "}"
    )
    return event(inner, kind=6)


def _unjudgeable(nsec: str) -> dict[str, dict[str, Any]]:
    return {
        "deep repost": _deep_repost(nsec),
        "kind is a list": {**event(nsec), "kind": []},
        "a tag is a dict": {**event("gm", [{}, ["t", nsec]]), "tags": [{}, ["t", nsec]]},  # type: ignore[list-item]
        "a tag holds a dict": {**event("gm"), "tags": [{"x": nsec}]},
        "content is a list": {**event(""), "content": [[nsec]]},
    }


def test_crafted_events_are_rejected_under_the_default(nsecguard_exe: str) -> None:
    """`--on-error accept` (the default) must not let a crafted event through with its key."""
    k = new_key()
    cases = _unjudgeable(k.nsec)
    answers, out, err = run_policy(nsecguard_exe, [request(ev) for ev in cases.values()])
    assert [a["action"] for a in answers] == ["reject"] * len(cases), list(cases)
    assert answers[0]["id"] == cases["deep repost"]["id"]  # the others are no longer their hash
    assert_no_key(out + err, k)


def test_an_event_that_cannot_be_judged_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever makes judging fail: rejected when anything key-shaped is in it, even under the
    default `--on-error accept`; accepted (as asked) when nothing is."""
    import io

    from nsecguard_nostr import policy

    def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise RecursionError

    monkeypatch.setattr(policy, "scan_event", broken)
    k = new_key()
    log = io.StringIO()
    judge = policy.Policy(PolicyConfig(), log)
    leaky = judge.handle(request(event(f"look {k.nsec}")).encode())
    clean = judge.handle(request(event("gm, nothing here")).encode())
    assert leaky is not None and json.loads(leaky)["action"] == "reject"
    assert clean is not None and json.loads(clean)["action"] == "accept"
    assert "RecursionError" in log.getvalue()
    assert_no_key(log.getvalue() + leaky.decode(), k)


def test_an_unparsable_request_with_a_key_is_answered_reject(nsecguard_exe: str) -> None:
    """Nested deeper than the JSON parser goes: no event to judge, no id to trust (found by
    fuzzing: the id may be the key's hex): rejected, under a placeholder id."""
    k = new_key()
    ev = event(k.nsec)
    line = request(ev).replace('"tags":[]', '"tags":' + "[" * 5000 + "]" * 5000)
    assert "[[[[" in line
    hex_id = line.replace(ev["id"], k.hex).replace(f'"content": "{k.nsec}"', '"content": "gm"')
    answers, out, err = run_policy(nsecguard_exe, [line, hex_id])
    assert [(a["id"], a["action"]) for a in answers] == [("<invalid id>", "reject")] * 2
    assert_no_key(out + err, k)


def test_keys_as_tag_names_ids_and_source_are_never_logged(nsecguard_exe: str) -> None:
    k, other = new_key(), new_key()
    repost = event(json.dumps(event("gm", [[k.nsec, "x"]], pubkey=rand_hex())), kind=6)
    lines = [
        request(event("gm", [[k.nsec, "x"]])),  # a key as a tag name
        request(repost),  # ... inside a reposted event
        request(event(f"x {other.nsec}", event_id=k.nsec)),  # a key as the event id
        request(event(f"x {k.nsec}", event_id=k.hex)),  # ... as hex, the key also in the content
        json.dumps({"type": "new", "event": event(f"x {other.nsec}"), "sourceInfo": k.nsec}),
        json.dumps({"type": "new", "event": event(f"x {other.nsec}"), "sourceInfo": "203.0.113.9"}),
    ]
    answers, out, err = run_policy(nsecguard_exe, lines)
    assert [a["action"] for a in answers] == ["reject"] * len(lines)
    assert_no_key(out + err, k)
    assert "from 203.0.113.9" in err and "tag (unusual name)" in err


def test_one_long_line_in_many_reads() -> None:
    """A line arriving in many pieces is joined once (not regrown with every piece)."""
    import io
    import threading

    from nsecguard_nostr.policy import serve

    k = new_key()
    ev = event("x" * (1 << 20) + f" {k.nsec}")
    line = (request(ev) + "\n").encode()
    rin, win = os.pipe()
    rout, wout = os.pipe()

    def write() -> None:
        os.write(win, line)
        os.close(win)

    writer = threading.Thread(target=write)
    writer.start()
    log = io.StringIO()
    serve(PolicyConfig(), rin, wout, log)
    writer.join()
    os.close(wout)
    answer = json.loads(os.read(rout, 1 << 16))
    os.close(rin)
    os.close(rout)
    assert answer["action"] == "reject" and answer["id"] == ev["id"]
