"""The `.pre-commit-config.yaml` stanza from docs/detect-secrets.md, run by the real pre-commit.

The stanza names Yelp's GitHub repository; with PyPI as the only network here, the test builds
the same hook repository locally: detect-secrets 1.5.0's source from PyPI plus the hook entry
its repository publishes (id detect-secrets, entry detect-secrets-hook, language python).
nsecguard comes from this checkout through `additional_dependencies`, as a local path.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pytest
from conftest import BIN, PROJECT, Repo, git, new_key, run

pytestmark = pytest.mark.slow

HOOKS_YAML = """\
- id: detect-secrets
  name: Detect secrets
  entry: detect-secrets-hook
  language: python
"""


def _hook_repository(tmp_path: Path) -> tuple[Path, str]:
    download = tmp_path / "download"
    proc = run(
        tmp_path, sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
        "detect-secrets==1.5.0", "-d", download,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"cannot download detect-secrets 1.5.0 from PyPI: {proc.stderr[-300:]}")
    (sdist,) = download.glob("detect_secrets-1.5.0.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    hooks = tmp_path / "detect_secrets-1.5.0"
    (hooks / ".pre-commit-hooks.yaml").write_text(HOOKS_YAML)
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-qm", "detect-secrets 1.5.0")
    rev = run(hooks, "git", "rev-parse", "HEAD").stdout.strip()
    return hooks, rev


def test_pre_commit_stanza_blocks_new_keys_and_passes_baselined_ones(tmp_path: Path) -> None:
    pre_commit = BIN / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed")
    hooks, rev = _hook_repository(tmp_path)
    repo = Repo(tmp_path / "user")
    old = new_key()
    repo.write("keys.env", f"NOSTR_NSEC={old.nsec}\n")
    repo.write(
        ".pre-commit-config.yaml",
        f"""\
repos:
  - repo: {hooks}
    rev: {rev}
    hooks:
      - id: detect-secrets
        args: ['--baseline', '.secrets.baseline']
        additional_dependencies: ['{PROJECT}']
""",
    )
    repo.make_baseline()  # after the config: its `rev:` is a hex string detect-secrets flags
    git(repo.root, "commit", "-qm", "baseline")
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    ok = run(repo.root, pre_commit, "run", "--all-files", extra_env=home)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    new = new_key()
    repo.write("bot.env", f"BOT_NSEC={new.nsec}\n")
    blocked = run(repo.root, pre_commit, "run", "--files", "bot.env", extra_env=home)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "Nostr Private Key (nsec)" in blocked.stdout and new.npub in blocked.stdout
    assert new.nsec not in blocked.stdout + blocked.stderr
