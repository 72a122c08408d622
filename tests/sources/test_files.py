"""Directory scans and ignore files: what ripgrep skips is skipped, except where secrets live."""

from __future__ import annotations

import json
from pathlib import Path

from nsecguard.engine import Options
from nsecguard.paths import IGNORED_WORDS, WalkRules
from nsecguard.sources.files import scan_paths
from tests.conftest import Repo, assert_no_secret, new_key, run_cli


def scanned(out: str) -> list[str]:
    return sorted({f["path"] for f in json.loads(out)["findings"]})


def test_gitignored_trees_are_skipped_and_verbose_says_why(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "# tools\n.venv/\nnode_modules\n*.log\n")
    repo.write(".venv/lib/site.py", f"{key.nsec}\n")
    repo.write("web/node_modules/dep/index.js", f"{key.nsec}\n")
    repo.write("debug.log", f"{key.nsec}\n")
    repo.write("src/app.py", f"{key.nsec}\n")
    code, out, err = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert code == 1 and scanned(out) == ["src/app.py"]
    code, out, err = run_cli("scan", "-v", "--no-color", ".", cwd=repo.path)
    assert "note: .venv/: skipped: ignored by .gitignore:2 (.venv/)" in out
    assert "note: web/node_modules/: skipped: ignored by .gitignore:3 (node_modules)" in out
    assert "note: debug.log: skipped: ignored by .gitignore:4 (*.log)" in out
    assert_no_secret(out + err, key)
    code, out, _ = run_cli("scan", "--no-ignore", "--format", "json", ".", cwd=repo.path)
    assert code == 1
    assert scanned(out) == [".venv/lib/site.py", "debug.log", "src/app.py", "web/node_modules/dep/index.js"]


def test_config_excludes_are_listed_in_verbose_output(repo: Repo) -> None:
    key = new_key()
    repo.write(".nsecguard.toml", 'exclude = ["vendor", "**/fixtures/**"]\n')
    repo.write("vendor/lib.js", f"{key.nsec}\n")
    repo.write("tests/fixtures/k.txt", f"{key.nsec}\n")
    code, out, err = run_cli("scan", "-v", "--no-color", ".", cwd=repo.path)
    assert code == 0
    assert "note: vendor/: skipped: config exclude (vendor)" in out
    assert "note: tests/fixtures/: skipped: config exclude (**/fixtures/**)" in out
    assert_no_secret(out + err, key)


def test_nested_gitignore_negation_dot_ignore_info_exclude_and_global_excludes(
    repo: Repo, tmp_path: Path
) -> None:
    key = new_key()
    global_file = tmp_path / "global-ignore"
    global_file.write_text("*.bak\n")
    repo.git("config", "core.excludesFile", str(global_file))
    repo.write(".git/info/exclude", "scratch/\n")
    repo.write(".gitignore", "*.out\n")
    repo.write("sub/.gitignore", "!keep.out\n")
    repo.write("sub/.ignore", "generated.py\n")
    for name in ["a.out", "sub/keep.out", "sub/b.out", "sub/generated.py", "x.bak", "scratch/s.py", "ok.py"]:
        repo.write(name, f"{key.nsec}\n")
    code, out, err = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert code == 1 and scanned(out) == ["ok.py", "sub/keep.out"]
    code, out, err = run_cli("scan", "-v", "--no-color", ".", cwd=repo.path)
    assert "note: x.bak: skipped: ignored by global git excludes:1 (*.bak)" in out
    assert "note: scratch/: skipped: ignored by .git/info/exclude:1 (scratch/)" in out
    assert "note: sub/generated.py: skipped: ignored by sub/.ignore:1 (generated.py)" in out
    assert "note: sub/b.out: skipped: ignored by .gitignore:1 (*.out)" in out
    assert_no_secret(out + err, key)


def test_a_subdirectory_scan_honours_the_ignore_files_above_it(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "build/\n")
    repo.write("pkg/build/gen.py", f"{key.nsec}\n")
    repo.write("pkg/src.py", f"{key.nsec}\n")
    code, out, _ = run_cli("scan", "--format", "json", "pkg", cwd=repo.path)
    assert code == 1 and scanned(out) == ["pkg/src.py"]
    code, out, _ = run_cli("scan", "--format", "json", ".", cwd=repo.path / "pkg")
    assert scanned(out) == ["src.py"]


def test_outside_a_work_tree_gitignore_is_not_read_but_dot_ignore_is(tmp_path: Path) -> None:
    key = new_key()
    (tmp_path / ".gitignore").write_text("a.txt\n")
    (tmp_path / ".ignore").write_text("b.txt\n")
    (tmp_path / "a.txt").write_text(f"{key.nsec}\n")
    (tmp_path / "b.txt").write_text(f"{key.nsec}\n")
    code, out, _ = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    assert code == 1 and scanned(out) == ["a.txt"]


def test_a_file_named_on_the_command_line_is_scanned_even_when_ignored(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "*.log\n")
    repo.write("debug.log", f"{key.nsec}\n")
    code, out, _ = run_cli("scan", "--format", "json", "debug.log", cwd=repo.path)
    assert code == 1 and scanned(out) == ["debug.log"]
    assert "ignored" not in json.loads(out)["findings"][0]


def test_ignored_secret_files_are_still_scanned_and_marked(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", ".env*\nsecrets.*\nbuild/\n")
    repo.write(".env.local", f"NOSTR_NSEC={key.nsec}\n")
    repo.write("config/secrets.toml", f"nsec = '{key.nsec}'\n")
    repo.write("build/secrets.toml", f"nsec = '{key.nsec}'\n")  # an ignored directory is not entered
    code, out, err = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert code == 1  # by default a gate fails on them too
    findings = json.loads(out)["findings"]
    assert sorted(f["path"] for f in findings) == [".env.local", "config/secrets.toml"]
    assert all(f["ignored"] == IGNORED_WORDS for f in findings)
    code, out, err = run_cli("scan", "--no-color", ".", cwd=repo.path)
    assert f"({IGNORED_WORDS})" in out and ".env.local:1:" in out
    code, out, err = run_cli("scan", "--format", "sarif", ".", cwd=repo.path)
    results = json.loads(out)["runs"][0]["results"]
    assert [r["properties"]["ignored"] for r in results] == [IGNORED_WORDS] * 2
    assert_no_secret(out + err, key)


def test_a_gate_can_accept_ignored_findings_but_not_committed_ones(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"NOSTR_NSEC={key.nsec}\n")
    code, out, _ = run_cli("scan", "--no-fail-on-ignored", "--format", "json", ".", cwd=repo.path)
    assert code == 0 and len(json.loads(out)["findings"]) == 1  # reported, but the gate passes
    repo.write(".nsecguard.toml", "fail-on-ignored = false\n")
    assert run_cli("scan", ".", cwd=repo.path)[0] == 0
    assert run_cli("scan", "--fail-on-ignored", ".", cwd=repo.path)[0] == 1
    repo.write("app.py", f"{key.nsec}\n")
    assert run_cli("scan", ".", cwd=repo.path)[0] == 1  # a file that is not ignored still fails


def test_an_ignored_file_that_git_tracks_is_not_called_uncommitted(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "*.pem\n")
    repo.write("server.pem", f"{key.nsec}\n")
    repo.git("add", "-f", "server.pem")
    code, out, _ = run_cli("scan", "--no-fail-on-ignored", "--format", "json", ".", cwd=repo.path)
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert "ignored" not in finding and IGNORED_WORDS not in finding["message"]


def test_scan_ignored_setting_replaces_the_default_names(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", ".env\nlocal/\n")
    repo.write(".nsecguard.toml", 'scan-ignored = ["local/"]\n')
    repo.write(".env", f"{key.nsec}\n")
    repo.write("local/dev.py", f"{key.nsec}\n")
    code, out, _ = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert code == 1 and scanned(out) == ["local/dev.py"]
    repo.write(".nsecguard.toml", "scan-ignored = 3\n")
    code, _, err = run_cli("scan", ".", cwd=repo.path)
    assert code == 2 and "`scan-ignored` must be a list of strings" in err


def test_parallel_workers_honour_ignore_files_in_every_directory(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "node_modules/\n")
    for d in range(12):
        for f in range(30):
            repo.write(f"d{d}/f{f}.txt", "plain text\n")
        repo.write(f"d{d}/.gitignore", "*.gen\n")
        repo.write(f"d{d}/x.gen", f"{key.nsec}\n")
        repo.write(f"d{d}/node_modules/m.js", f"{key.nsec}\n")
        repo.write(f"d{d}/.env", f"{key.nsec}\n")
    result = scan_paths([str(repo.path)], Options(), jobs=2, rules=WalkRules())
    assert sorted(
        f.path.rsplit("/", 2)[-2] + "/" + f.path.rsplit("/", 1)[-1] for f in result.findings
    ) == sorted(f"d{d}/.env" for d in range(12))
    assert result.scanned == 12 * 31 + 13  # the text files, the .env files, the ignore files
    everything = scan_paths([str(repo.path)], Options(), jobs=2, rules=WalkRules(use_ignore_files=False))
    assert len(everything.findings) == 36


def test_a_root_its_repository_ignores_is_scanned_as_a_tree_of_its_own(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", "/versions\n*.log\n")
    repo.write("versions/3.11/lib/mod.py", f"{key.nsec}\n")
    repo.write("versions/3.11/lib/.gitignore", "skip.py\n")
    repo.write("versions/3.11/lib/skip.py", f"{key.nsec}\n")
    repo.write("versions/3.11/lib/x.log", f"{key.nsec}\n")  # the repository's rules do not reach in
    code, out, _ = run_cli("scan", "--format", "json", "versions/3.11", cwd=repo.path)
    assert code == 1 and scanned(out) == ["versions/3.11/lib/mod.py", "versions/3.11/lib/x.log"]
    code, out, _ = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert code == 0 and scanned(out) == []
