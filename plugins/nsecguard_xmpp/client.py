"""The slixmpp side: a client with the plugins the guard needs, and the XEP-0425 retraction.

Debian bookworm's Prosody 0.12 with prosody-modules' `mod_muc_moderation` speaks
`urn:xmpp:message-moderate:0` (the request wrapped in XEP-0422 `<apply-to>`); newer servers
speak `:1` (`<moderate>` directly in the iq). `moderate()` asks the room which one it has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal
from xml.etree import ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

log = logging.getLogger("nsecguard.xmpp")

NS_FASTEN = "urn:xmpp:fasten:0"
NS_MODERATE_0 = "urn:xmpp:message-moderate:0"
NS_MODERATE_1 = "urn:xmpp:message-moderate:1"
NS_RETRACT_0 = "urn:xmpp:message-retract:0"
NS_RETRACT_1 = "urn:xmpp:message-retract:1"
NS_STANZA_ID = "urn:xmpp:sid:0"
NS_OOB = "jabber:x:oob"

TlsMode = Literal["starttls", "direct", "none"]
PLUGINS = (
    "xep_0030",  # disco
    "xep_0045",  # MUC
    "xep_0059",  # RSM (for MAM)
    "xep_0066",  # OOB attachments
    "xep_0199",  # ping
    "xep_0308",  # corrections
    "xep_0313",  # MAM
    "xep_0359",  # stanza ids
)


class ModerationError(Exception):
    """The room refused the retraction; `condition` is the XMPP error condition."""

    def __init__(self, condition: str, kind: str) -> None:
        super().__init__(f"moderation refused: {kind}/{condition}")
        self.condition = condition
        self.kind = kind


def make_client(jid: str, password: str, *, tls: TlsMode = "starttls") -> slixmpp.ClientXMPP:
    """A ClientXMPP with the guard's plugins. `tls="none"` is for a server on loopback only."""
    client = slixmpp.ClientXMPP(jid, password)
    for name in PLUGINS:
        client.register_plugin(name)
    configure_tls(client, tls)
    return client


def configure_tls(client: slixmpp.ClientXMPP, tls: TlsMode) -> None:
    client.enable_direct_tls = tls == "direct"
    client.enable_starttls = tls == "starttls"
    client.enable_plaintext = tls == "none"
    if tls == "none":
        mechanisms: Any = client.plugin["feature_mechanisms"]
        mechanisms.unencrypted_scram = True


def on_every_message(client: slixmpp.ClientXMPP, handler: Callable[[Any], None]) -> None:
    """Call `handler` for every message stanza, with or without a body (slixmpp's `message`
    event skips bodiless ones: retraction notices, subjects, corrections' fallbacks)."""
    client.register_handler(
        Callback(f"nsecguard-all-{id(handler)}", MatchXPath(f"{{{client.default_ns}}}message"), handler)
    )


def stanza_id(msg: Any, by: str) -> str | None:
    """The XEP-0359 id the archive (and moderation) knows the message by, as given by `by`."""
    for el in msg.xml.findall(f"{{{NS_STANZA_ID}}}stanza-id"):
        if el.get("by") == by and el.get("id"):
            return str(el.get("id"))
    return None


def moderation_request(version: int, room: str, target: str, reason: str) -> ET.Element:
    """The XEP-0425 payload (child of the iq) for `version` 0 or 1."""
    if version == 0:
        outer = ET.Element(f"{{{NS_FASTEN}}}apply-to", {"id": target})
        mod = ET.SubElement(outer, f"{{{NS_MODERATE_0}}}moderate")
        ET.SubElement(mod, f"{{{NS_RETRACT_0}}}retract")
    else:
        outer = ET.Element(f"{{{NS_MODERATE_1}}}moderate", {"id": target})
        mod = outer
        ET.SubElement(mod, f"{{{NS_RETRACT_1}}}retract")
    if reason:
        ET.SubElement(mod, f"{{{NS_MODERATE_0 if version == 0 else NS_MODERATE_1}}}reason").text = reason
    return outer


async def room_features(client: slixmpp.ClientXMPP, room: str) -> set[str]:
    info: Any = await client.plugin["xep_0030"].get_info(jid=slixmpp.JID(room), timeout=15)
    return set(info["disco_info"]["features"])


async def moderation_version(client: slixmpp.ClientXMPP, room: str) -> int:
    """Which XEP-0425 version the room speaks (1 or 0); ModerationError when none."""
    features = await room_features(client, room)
    if NS_MODERATE_1 in features:
        return 1
    if NS_MODERATE_0 in features:
        return 0
    raise ModerationError("feature-not-implemented", "cancel")


async def moderate(
    client: slixmpp.ClientXMPP, room: str, target: str, reason: str, *, version: int | None = None
) -> None:
    """Retract `target` (a stanza-id given by the room) for everyone, as a moderator.

    Raises ModerationError when the room answers with an error, IqTimeout when it does not
    answer."""
    if version is None:
        version = await moderation_version(client, room)
    iq: Any = client.make_iq_set(ito=room)
    iq.append(moderation_request(version, room, target, reason))
    try:
        await iq.send(timeout=15)
    except IqError as exc:
        error: Any = exc.iq["error"]
        raise ModerationError(str(error["condition"]), str(error["type"])) from None
    except IqTimeout:
        raise


def is_retraction(msg: Any) -> str | None:
    """The target id when `msg` is a room's moderation notice (XEP-0425 v0 or v1), else None."""
    xml = msg.xml
    apply_to = xml.find(f"{{{NS_FASTEN}}}apply-to")
    if apply_to is not None and apply_to.find(f"{{{NS_MODERATE_0}}}moderated") is not None:
        return str(apply_to.get("id", ""))
    retract = xml.find(f"{{{NS_RETRACT_1}}}retract")
    if retract is not None and retract.find(f"{{{NS_MODERATE_1}}}moderated") is not None:
        return str(retract.get("id", ""))
    return None


def is_tombstone(msg: Any) -> bool:
    """An archived message replaced by the moderation tombstone (no body left)."""
    xml = msg.xml
    return (
        xml.find(f"{{{NS_MODERATE_0}}}moderated") is not None
        or xml.find(f"{{{NS_RETRACT_1}}}retracted") is not None
    )
