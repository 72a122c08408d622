"""The language server: diagnostics on keys in open documents, and quick fixes that remove them.

A document is scanned whole (the engine reads a few MB/s per core, and a key's verdict can
depend on text elsewhere in the file) when it opens or is saved, and after each change once the
user pauses for `DEBOUNCE` seconds. Settings come from the nearest `.nsecguard.toml` or
pyproject.toml [tool.nsecguard] of a file on disk (allow-list, minimum confidence), as `scan`
reads them. Messages name keys by npub; logs and `window/logMessage` go through `logs.safe`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from nsecguard import __version__
from nsecguard.engine import Options, scan_text
from nsecguard.errors import FatalError
from nsecguard.model import Finding, Severity
from nsecguard_lsp.actions import Edit, edits_for
from nsecguard_lsp.logs import safe

DEBOUNCE = 0.2  # seconds without typing before a changed document is scanned
SOURCE = "nsecguard"
ADVICE = "Keep keys in an environment variable or a secrets manager (quick fix available)"
LOG = logging.getLogger("nsecguard.lsp")
CONFIG_NAMES = ("/.nsecguard.toml", "/pyproject.toml")

_SEVERITY = {
    Severity.CRITICAL: types.DiagnosticSeverity.Error,
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
}


def position(doc: TextDocument, offset: int) -> types.Position:
    """A character offset in the document as an LSP position, in the client's units."""
    text = doc.source
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return doc.position_codec.position_to_client_units(doc.lines, types.Position(line, column))


def offset(doc: TextDocument, pos: types.Position) -> int:
    return doc.offset_at_position(pos)


class NsecguardServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("nsecguard", __version__)
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._options: dict[str, Options] = {}

    # -- scanning --------------------------------------------------------------------------

    def options_for(self, uri: str) -> Options:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        folder = os.path.dirname(path) if path else ""
        if folder not in self._options:
            options = Options()
            if folder and os.path.isdir(folder):
                from nsecguard.config import discover

                try:
                    options = discover(folder).options()
                except FatalError as exc:
                    LOG.warning("%s", safe(f"configuration ignored: {exc}"))
            self._options[folder] = options
        return self._options[folder]

    def forget_settings(self) -> None:
        """A configuration file was saved: read the settings again."""
        self._options.clear()

    def findings(self, doc: TextDocument) -> list[Finding]:
        return scan_text(doc.source, path=doc.uri, options=self.options_for(doc.uri))

    def check(self, uri: str) -> None:
        self._pending.pop(uri, None)
        doc = self.workspace.get_text_document(uri)
        found = self.findings(doc)
        diagnostics = [self.diagnostic(doc, f) for f in found]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=diagnostics)
        )
        if found:
            owners = ", ".join(sorted({f.npub or f.fingerprint for f in found}))
            self.log(f"{uri}: {len(found)} leaked key(s): {owners}")

    def schedule(self, uri: str) -> None:
        """Scan `uri` once the user stops typing for DEBOUNCE seconds."""
        self.cancel(uri)
        self._pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, self.check, uri)

    def cancel(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()

    def clear(self, uri: str) -> None:
        self.cancel(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def diagnostic(self, doc: TextDocument, f: Finding) -> types.Diagnostic:
        return types.Diagnostic(
            range=types.Range(position(doc, f.start), position(doc, f.end)),
            message=safe(f"{f.message}. {ADVICE}"),
            severity=_SEVERITY.get(f.severity, types.DiagnosticSeverity.Error),
            code=str(f.kind),
            source=SOURCE,
            data={"npub": f.npub, "fingerprint": f.fingerprint, "confidence": str(f.confidence)},
        )

    # -- fixes -----------------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = self.workspace.get_text_document(uri)
        first, last = offset(doc, params.range.start), offset(doc, params.range.end)
        out: list[types.CodeAction] = []
        for f in self.findings(doc):
            if f.end < first or f.start > last:
                continue
            diagnostic = self.diagnostic(doc, f)
            for edit in edits_for(f, doc.source, doc.language_id or ""):
                out.append(self.action(doc, edit, diagnostic))
        return out

    def action(self, doc: TextDocument, edit: Edit, diagnostic: types.Diagnostic) -> types.CodeAction:
        edits = [types.TextEdit(types.Range(position(doc, edit.start), position(doc, edit.end)), edit.text)]
        if edit.import_at is not None:
            at = position(doc, edit.import_at)
            edits.insert(0, types.TextEdit(types.Range(at, at), "import os\n"))
        return types.CodeAction(
            title=safe(edit.title),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=edit.text.startswith("nostr:"),
            edit=types.WorkspaceEdit(changes={doc.uri: edits}),
        )

    # -- the client's log ------------------------------------------------------------------

    def log(self, text: str) -> None:
        message = safe(text)
        LOG.info("%s", message)
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls would show `str(error)` to the user: the type and a scrubbed message only."""
        text = safe(f"nsecguard language server: {type(error).__name__}: {error}")
        LOG.error("%s", text)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=text))


def build() -> NsecguardServer:
    server = NsecguardServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NsecguardServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NsecguardServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NsecguardServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith(CONFIG_NAMES):
            ls.forget_settings()
        ls.cancel(params.text_document.uri)
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NsecguardServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.clear(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: NsecguardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    return server
