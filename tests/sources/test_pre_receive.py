"""`nsecguard scan --pre-receive` as a git server runs it: a real bare repository with the hook
installed, real `git push`es over file:// and over `git daemon` on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from nsecguard.errors import FatalError
from nsecguard.sources import pre_receive
from tests.conftest import ROOT, Repo, TestKey, assert_no_secret, new_key, run_cli

ZERO = "0" * 40


class Server(NamedTuple):
    path: Path  # the bare repository
    url: str

    def git(self, *args: str) -> str:
        return Repo(self.path).git(*args)

    def ref(self, name: str) -> str | None:
        out = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", name], cwd=self.path, capture_output=True, text=True
        )
        return out.stdout.strip() if out.returncode == 0 else None


class Push(NamedTuple):
    code: int
    output: str  # what the pusher sees (git writes it all to stderr)


def install_hook(bare: Path, *extra: str) -> None:
    hook = bare / "hooks" / "pre-receive"
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    args = " ".join(["--no-color", *extra])
    hook.write_text(
        f"#!/bin/sh\nPYTHONPATH='{pythonpath}' NO_COLOR=1\nexport PYTHONPATH NO_COLOR\n"
        f"exec '{sys.executable}' -m nsecguard scan --pre-receive {args}\n"
    )
    hook.chmod(0o755)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def git_daemon(bare: Path) -> Iterator[str]:
    """`git daemon` serving `bare` on 127.0.0.1 with pushes enabled; its git:// URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--informative-errors",
            f"--base-path={bare.parent}", "--listen=127.0.0.1", f"--port={port}", str(bare.parent),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("git daemon did not start") from None
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/{bare.name}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["file", "git-daemon"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A bare repository with the hook installed, pushed to over file:// or over `git daemon`."""
    bare = tmp_path / "server.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    install_hook(bare)
    if request.param == "file":
        yield Server(bare, bare.as_uri())
        return
    with git_daemon(bare) as url:
        yield Server(bare, url)


def clone(server: Server, tmp_path: Path, name: str = "work") -> Repo:
    subprocess.run(["git", "clone", "-q", server.url, str(tmp_path / name)], check=True, capture_output=True)
    return Repo(tmp_path / name)


def push(work: Repo, *refspecs: str, url: str = "origin") -> Push:
    proc = subprocess.run(
        ["git", "push", "--porcelain", url, *refspecs], cwd=work.path, capture_output=True, text=True
    )
    return Push(proc.returncode, proc.stderr + proc.stdout)


@pytest.fixture
def work(server: Server, tmp_path: Path) -> Repo:
    """A clone with one clean commit on main, already on the server."""
    w = clone(server, tmp_path)
    w.commit_file("README.md", "hello\n", "first")
    assert push(w, "main").code == 0
    return w


def assert_rejected(result: Push, server: Server, key: TestKey, path: str, commit: str) -> None:
    assert result.code != 0, result.output
    assert "pre-receive hook declined" in result.output
    assert "remote: " in result.output  # what git relays from the hook
    assert f"remote: {path}:" in result.output
    assert key.npub in result.output
    assert f"commit {commit[:12]}" in result.output
    assert "Push rejected" in result.output and "rotate" in result.output
    assert_no_secret(result.output, key)


# -- parsing ---------------------------------------------------------------------------------


def test_updates_parse_and_bad_lines_are_errors() -> None:
    a, b = "a" * 40, "b" * 40
    updates = pre_receive.parse_updates([f"{a} {b} refs/heads/main", "", f"{b} {ZERO} refs/tags/v1"])
    assert updates == [
        pre_receive.RefUpdate(a, b, "refs/heads/main"),
        pre_receive.RefUpdate(b, ZERO, "refs/tags/v1"),
    ]
    assert updates[1].deleted and not updates[0].deleted
    for bad in ("main", f"{a} {b}", f"{a} xyz refs/heads/x", f"{a} {b} --upload-pack=x"):
        with pytest.raises(FatalError, match="line 1"):
            pre_receive.parse_updates([bad])


def test_bad_input_is_an_error_that_rejects(server: Server, work: Repo, key: TestKey) -> None:
    code, out, err = run_cli("scan", "--pre-receive", cwd=server.path, stdin=f"oops {key.nsec}\n".encode())
    assert code == 2 and "push rejected" in err and "Traceback" not in err
    assert_no_secret(out + err, key)
    code, _, err = run_cli("scan", "--pre-receive", "somepath", cwd=server.path, stdin=b"")
    assert code == 2 and "not paths" in err


# -- pushes over file:// ---------------------------------------------------------------------


def test_clean_update_is_accepted_and_says_what_it_scanned(server: Server, work: Repo) -> None:
    sha = work.commit_file("app.py", "print('hi')\n")
    result = push(work, "main")
    assert result.code == 0, result.output
    assert "remote: No leaked Nostr keys (1 commit, 1 file change scanned)" in result.output
    assert server.ref("main") == sha


def test_update_with_a_key_is_rejected_and_the_server_keeps_nothing(
    server: Server, work: Repo, key: TestKey
) -> None:
    before = server.ref("main")
    sha = work.commit_file("config/keys.py", f'NOSTR_NSEC = "{key.nsec}"\n', "add keys")
    result = push(work, "main")
    assert_rejected(result, server, key, "config/keys.py", sha)
    assert server.ref("main") == before
    objects = subprocess.run(["git", "cat-file", "-e", sha], cwd=server.path, capture_output=True)
    assert objects.returncode != 0  # the quarantine was dropped: the key is not on the server


def test_new_branch_scans_only_its_new_commits(server: Server, work: Repo, key: TestKey) -> None:
    work.git("checkout", "-q", "-b", "feature")
    work.commit_file("a.txt", "clean\n")
    sha = work.commit_file("b.env", f"NSEC={key.nsec}\n")
    result = push(work, "feature")
    assert_rejected(result, server, key, "b.env", sha)
    assert "1 leaked secret in 1 file (nsec; 2 commits" in result.output  # not main's commit
    assert server.ref("feature") is None


def test_new_branch_at_an_existing_commit_has_nothing_new(server: Server, work: Repo) -> None:
    work.git("branch", "copy")
    result = push(work, "copy")
    assert result.code == 0, result.output
    assert server.ref("copy") == server.ref("main")


def test_force_push_scans_the_rewritten_commits(server: Server, work: Repo, key: TestKey) -> None:
    work.commit_file("x.txt", "one\n", "one")
    assert push(work, "main").code == 0
    work.git("reset", "-q", "--hard", "HEAD~1")
    sha = work.commit_file("x.txt", f"{key.hex}\npub {key.pubhex}\n", "rewritten")
    result = push(work, "+main")
    assert_rejected(result, server, key, "x.txt", sha)
    work.git("reset", "-q", "--hard", "HEAD~1")
    clean = work.commit_file("x.txt", "rewritten, clean\n", "rewritten")
    result = push(work, "+main")
    assert result.code == 0, result.output
    assert server.ref("main") == clean and "(1 commit," in result.output


def test_deletion_is_accepted(server: Server, work: Repo) -> None:
    work.git("branch", "old")
    assert push(work, "old").code == 0
    result = push(work, ":old")
    assert result.code == 0, result.output
    assert server.ref("old") is None


def test_annotated_and_lightweight_tags(server: Server, work: Repo, key: TestKey) -> None:
    work.git("tag", "-a", "-m", "release", "v1")  # on a commit the server has
    result = push(work, "v1")
    assert result.code == 0, result.output
    work.git("checkout", "-q", "--detach")
    sha = work.commit_file("secret.txt", f"nostr key: {key.nsec}\n")
    work.git("tag", "-a", "-m", "sneaky", "v2")
    assert_rejected(push(work, "v2"), server, key, "secret.txt", sha)
    work.git("tag", "v3")  # lightweight
    assert_rejected(push(work, "v3"), server, key, "secret.txt", sha)
    assert server.ref("v2") is None and server.ref("v3") is None


def test_a_tag_message_is_scanned(server: Server, work: Repo, key: TestKey) -> None:
    work.git("tag", "-a", "-m", f"release\n\nsigned with {key.nsec}", "v5")  # on a commit the server has
    result = push(work, "v5")
    assert result.code != 0 and key.npub in result.output
    assert "remote: refs/tags/v5 (tag message):3:" in result.output
    assert_no_secret(result.output, key)


def test_a_tagged_blob_is_scanned(server: Server, work: Repo, key: TestKey) -> None:
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=work.path,
        input=f"nsec: {key.nsec}\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    work.git("tag", "blobtag", blob)
    result = push(work, "blobtag")
    assert result.code != 0 and key.npub in result.output
    assert "refs/tags/blobtag:1:" in result.output
    assert_no_secret(result.output, key)


def test_a_tagged_tree_is_scanned(server: Server, work: Repo, key: TestKey) -> None:
    work.commit_file("dir/k.txt", f"{key.nsec}\n")
    tree = work.git("rev-parse", "HEAD:dir")
    work.git("reset", "-q", "--hard", "HEAD~1")
    work.git("tag", "treetag", tree)
    result = push(work, "treetag")
    assert result.code != 0 and "remote: refs/tags/treetag:k.txt:1:1:" in result.output
    assert_no_secret(result.output, key)


def test_an_unreadable_pushed_object_rejects(server: Server, work: Repo) -> None:
    missing = "1234567890" * 4
    line = f"{ZERO} {missing} refs/heads/ghost\n".encode()
    code, _, err = run_cli("scan", "--pre-receive", cwd=server.path, stdin=line)
    assert code == 2 and "cannot be read" in err and "push rejected" in err


def test_several_refs_at_once_all_rejected_each_commit_reported_once(
    server: Server, work: Repo, key: TestKey
) -> None:
    work.git("checkout", "-q", "-b", "one")
    sha = work.commit_file("k.txt", f"nsec {key.nsec}\n")
    work.git("branch", "two")  # the same commit on a second branch
    work.git("checkout", "-q", "main")
    work.commit_file("clean.txt", "fine\n")
    result = push(work, "main", "one", "two")
    assert_rejected(result, server, key, "k.txt", sha)
    assert result.output.count("remote: k.txt:") == 1
    assert "(nsec; 2 commits" in result.output
    assert server.ref("one") is None and server.ref("two") is None
    before = server.ref("main")
    assert before is not None and before != work.git("rev-parse", "main")  # a pre-receive rejects all


def test_a_key_already_on_the_server_is_not_reported_again(server: Server, work: Repo, key: TestKey) -> None:
    hook = server.path / "hooks" / "pre-receive"
    hook.rename(hook.with_suffix(".off"))  # the server before the hook was installed
    work.commit_file("old.txt", f"{key.nsec}\n", "long ago")
    assert push(work, "main").code == 0
    hook.with_suffix(".off").rename(hook)
    work.commit_file("new.txt", "clean\n")
    work.git("checkout", "-q", "-b", "topic")
    work.commit_file("more.txt", "clean too\n")
    result = push(work, "main", "topic")
    assert result.code == 0, result.output
    assert key.npub not in result.output
    assert "(2 commits, 2 file changes scanned)" in result.output


# -- configuration and baseline ---------------------------------------------------------------


def test_config_from_the_default_branch_is_honoured(server: Server, work: Repo, key: TestKey) -> None:
    work.write(".nsecguard.toml", 'exclude = ["fixtures/*"]\n')
    work.write("fixtures/k.txt", f"{key.nsec}\n")
    work.add(".nsecguard.toml", "fixtures/k.txt")
    work.commit("fixtures")
    result = push(work, "main")  # the config arrives in the same push: it is the policy
    assert result.code == 0, result.output
    assert key.npub not in result.output


def test_a_side_branch_cannot_loosen_the_policy(server: Server, work: Repo, key: TestKey) -> None:
    work.git("checkout", "-q", "-b", "sneaky")
    work.write("pyproject.toml", f'[tool.nsecguard]\nallow = ["{key.npub}"]\n')
    work.write("k.txt", f"{key.nsec}\n")
    work.add("pyproject.toml", "k.txt")
    sha = work.commit("allow my key")
    assert_rejected(push(work, "sneaky"), server, key, "k.txt", sha)


def test_allow_in_pyproject_on_main(server: Server, work: Repo, key: TestKey) -> None:
    work.write("pyproject.toml", f'[project]\nname = "x"\n\n[tool.nsecguard]\nallow = ["{key.npub}"]\n')
    work.write("vectors.txt", f"{key.nsec}\n")
    work.add("pyproject.toml", "vectors.txt")
    work.commit("test vector")
    result = push(work, "main")
    assert result.code == 0, result.output


def test_server_config_in_the_git_directory_wins(
    server: Server, work: Repo, key: TestKey, tmp_path: Path
) -> None:
    (server.path / "nsecguard.toml").write_text(f'allow = ["{key.npub}"]\n')
    work.write(".nsecguard.toml", 'min-confidence = "low"\n')
    work.write("k.txt", f"{key.nsec}\n")
    work.add(".nsecguard.toml", "k.txt")
    work.commit("allowed by the admin")
    assert push(work, "main").code == 0
    other = new_key()
    sha = work.commit_file("k2.txt", f"{other.nsec}\n")
    assert_rejected(push(work, "main"), server, other, "k2.txt", sha)


def test_a_broken_config_rejects_with_its_name(server: Server, work: Repo, key: TestKey) -> None:
    work.commit_file(".nsecguard.toml", "exclude = [\n")
    result = push(work, "main")
    assert result.code != 0
    assert ":.nsecguard.toml: invalid TOML" in result.output and "push rejected" in result.output
    assert "nsecguard-" not in result.output  # named by commit, not by the scratch file parsed


def test_baseline_from_the_pushed_tree_is_honoured(server: Server, work: Repo, key: TestKey) -> None:
    work.write("legacy.txt", f"{key.nsec}\n")
    work.add("legacy.txt")
    work.commit("legacy key")
    code, _, err = run_cli("scan", "--history", "--write-baseline", ".nsecguard-baseline.json", cwd=work.path)
    assert code == 0, err
    baseline_doc = json.loads((work.path / ".nsecguard-baseline.json").read_text())
    assert baseline_doc["keys"][0]["npub"] == key.npub
    work.write(".nsecguard.toml", 'baseline = ".nsecguard-baseline.json"\n')
    work.add(".nsecguard.toml", ".nsecguard-baseline.json")
    work.commit("baseline")
    result = push(work, "main")
    assert result.code == 0, result.output
    assert "1 known finding(s) suppressed by the baseline" in result.output
    other = new_key()
    sha = work.commit_file("new.txt", f"{other.nsec}\n")
    assert_rejected(push(work, "main"), server, other, "new.txt", sha)


def test_explicit_config_and_baseline_options(
    server: Server, work: Repo, key: TestKey, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('exclude = ["vendor/*"]\n')
    install_hook(server.path, "--config", str(policy))
    work.commit_file("vendor/k.txt", f"{key.nsec}\n")
    assert push(work, "main").code == 0
    other = new_key()
    sha = work.commit_file("src/k.txt", f"{other.nsec}\n")
    assert_rejected(push(work, "main"), server, other, "src/k.txt", sha)
