"""Reading Matrix content (the workflow's texts are tested in tests/chat)."""

from __future__ import annotations

from immutabledict import immutabledict

from nsecguard import Options
from nsecguard_matrix import guard
from tests.nsecguard_matrix.conftest import Planted

OPTIONS = Options()


def test_immutable_mappings_are_walked(planted: Planted) -> None:
    key = planted.new()
    content = immutabledict({"body": "x", "extra": immutabledict({"list": (key.nsec,)})})
    findings, secrets = guard.scan_content(content, OPTIONS)
    assert [f.npub for f in findings] == [key.npub]
    assert (key.nsec, f"nostr:{key.npub}") in secrets


def test_the_displayed_text_is_the_edit_the_body_or_the_reaction() -> None:
    assert guard.displayed_text({"body": "* a", "m.new_content": {"body": "a"}}) == "a"
    assert guard.displayed_text({"body": "b"}) == "b"
    assert guard.displayed_text({"m.relates_to": {"key": "👍"}}) == "👍"


def test_scrub_is_case_insensitive(planted: Planted) -> None:
    key = planted.new()
    text = f"x {key.nsec.upper()} y"
    assert guard.scrub(text, {(key.nsec, "NPUB")}) == "x NPUB y"


def test_admin_notice_mentions_admins() -> None:
    content = guard.admin_content("@bot:hs", ["@admin:hs"], needed=50, have=0)
    assert content["m.mentions"] == {"user_ids": ["@admin:hs"]}
    assert "power level 50" in content["body"]
