"""The one path filter (nsecguard/paths.py): gitignore semantics for `exclude` and ignore files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsecguard import paths
from nsecguard.paths import Chain, Layer, Rules, exclude_rules, find_top


@pytest.mark.parametrize(
    ("path", "is_dir", "why"),
    [
        ("node_modules", True, "config exclude (node_modules)"),
        ("web/node_modules/x.js", False, "config exclude (node_modules)"),  # a git path: no dir entry
        ("tests/fixtures/a.txt", False, "config exclude (**/fixtures/**)"),
        ("a/b/fixtures/c/d.txt", False, "config exclude (**/fixtures/**)"),
        ("dist/app.min.js", False, "config exclude (*.min.js)"),
        ("build/out", False, "config exclude (/build/)"),
        ("src/build/out", False, None),  # anchored: only at the top
        ("build", False, None),  # `dir/` matches directories only
        ("src/app.py", False, None),
        ("keep/fixtures/x", False, None),  # re-included
    ],
)
def test_exclude_is_gitignore_semantics_for_files_and_directories(
    path: str, is_dir: bool, why: str | None
) -> None:
    rules = exclude_rules(["node_modules", " **/fixtures/** ", "*.min.js", "/build/", "!keep/fixtures/x"])
    assert rules.why(path, is_dir) == why


def test_an_empty_exclude_matches_nothing_and_never_loads_pathspec() -> None:
    rules = exclude_rules(["", "  ", "# a comment"])
    assert not rules
    assert rules.why("anything") is None and rules._spec is None


def test_ignore_file_reasons_name_the_file_line_and_pattern() -> None:
    rules = Rules(["# build output", "", "build/", "*.log", "!important.log"], ".gitignore")
    assert rules.check("build", is_dir=True) == (True, ".gitignore:3 (build/)")
    assert rules.check("x/debug.log") == (True, ".gitignore:4 (*.log)")
    assert rules.check("important.log") == (False, ".gitignore:5 (!important.log)")
    assert rules.check("src/app.py") is None


def test_rules_of_a_nested_file_only_cover_their_directory() -> None:
    rules = Rules(["/local.txt", "*.tmp"], "sub/.gitignore", base="sub")
    assert rules.check("sub/local.txt") == (True, "sub/.gitignore:1 (/local.txt)")
    assert rules.check("local.txt") is None and rules.check("other/x.tmp") is None
    assert rules.check("sub/deep/x.tmp") == (True, "sub/.gitignore:2 (*.tmp)")


def test_chain_the_innermost_file_decides_and_dot_ignore_beats_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n*.txt\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("!*.log\n")
    (tmp_path / "sub" / ".ignore").write_text("debug.log\n")
    paths._CACHE.clear()
    chain = Chain(str(tmp_path), "", ()).entered("", [".gitignore", "sub"])
    sub = chain.entered("sub", [".gitignore", ".ignore"])
    assert chain.check("a.log", False) == (True, ".gitignore:1 (*.log)")
    assert sub.check("sub/a.log", False) == (False, "sub/.gitignore:1 (!*.log)")
    assert sub.check("sub/debug.log", False) == (True, "sub/.ignore:1 (debug.log)")
    assert sub.check("sub/a.txt", False) == (True, ".gitignore:2 (*.txt)")


def test_chain_outside_git_reads_only_dot_ignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.txt\n")
    (tmp_path / ".ignore").write_text("*.log\n")
    paths._CACHE.clear()
    chain = Chain(str(tmp_path), "", (), git=False).entered("", [".gitignore", ".ignore"])
    assert chain.check("a.txt", False) is None
    assert chain.check("a.log", False) == (True, ".ignore:1 (*.log)")


def test_a_missing_ignore_file_is_no_rules(tmp_path: Path) -> None:
    paths._CACHE.clear()
    chain = Chain(str(tmp_path), "", (Layer(str(tmp_path / "nope"), "global git excludes", ""),))
    assert chain.check("a", False) is None


def test_find_top_of_a_linked_worktree_uses_the_shared_git_dir(tmp_path: Path) -> None:
    common = tmp_path / "main" / ".git"
    (common / "worktrees" / "wt").mkdir(parents=True)
    (common / "worktrees" / "wt" / "commondir").write_text("../..\n")
    wt = tmp_path / "wt"
    (wt / "src").mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {common / 'worktrees' / 'wt'}\n")
    assert find_top(str(wt / "src")) == (str(wt), str(common))
    assert find_top(str(tmp_path)) == (None, None)
