"""`nsecguard lsp` in a real LSP session: pygls' client starts the command over stdio, opens and
edits documents as an editor would, and applies the quick fixes the server offers."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.workspace import TextDocument

from tests.conftest import TestKey, assert_no_secret, new_key

TIMEOUT = 30


class Editor:
    """A client that remembers what the server published, and the server's stderr."""

    def __init__(self) -> None:
        self.client = LanguageClient("test-editor", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.published: asyncio.Queue[str] = asyncio.Queue()
        self.logs: list[str] = []
        self.shown: list[str] = []
        self.docs: dict[str, TextDocument] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published.put_nowait(params.uri)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_show(params: types.ShowMessageParams) -> None:
            self.shown.append(params.message)

    async def next_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        while True:
            got = await asyncio.wait_for(self.published.get(), TIMEOUT)
            if got == uri:
                return self.diagnostics[uri]

    def open(self, uri: str, text: str, language: str) -> None:
        self.docs[uri] = TextDocument(uri, text, version=1, language_id=language)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )

    def type(self, uri: str, at: types.Position, text: str) -> None:
        """An incremental change, as editors send while the user types or pastes."""
        doc = self.docs[uri]
        change = types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)
        doc.apply_change(change)
        doc.version = (doc.version or 0) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=doc.version), [change]
            )
        )

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a workspace edit locally and send it as a full-content change."""
        assert edit.changes is not None
        for uri, edits in edit.changes.items():
            doc = self.docs[uri]
            for text_edit in sorted(
                edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
            ):
                doc.apply_change(
                    types.TextDocumentContentChangePartial(range=text_edit.range, text=text_edit.new_text)
                )
            doc.version = (doc.version or 0) + 1
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                    [types.TextDocumentContentChangeWholeDocument(text=doc.source)],
                )
            )

    async def actions(self, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    range=diagnostic.range,
                    context=types.CodeActionContext(diagnostics=[diagnostic]),
                )
            ),
            TIMEOUT,
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.fixture
async def editor(tmp_path: Path) -> AsyncIterator[Editor]:
    ed = Editor()
    await ed.client.start_io(sys.executable, "-m", "nsecguard", "lsp", "--stdio", "-v", env=dict(os.environ))
    await asyncio.wait_for(
        ed.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri(), process_id=os.getpid()
            )
        ),
        TIMEOUT,
    )
    ed.client.initialized(types.InitializedParams())
    try:
        yield ed
    finally:
        await asyncio.wait_for(ed.client.shutdown_async(None), TIMEOUT)
        ed.client.exit(None)
        await asyncio.wait_for(ed.client.stop(), TIMEOUT)


async def _stderr(editor: Editor) -> str:
    server = editor.client._server
    assert server is not None and server.stderr is not None
    return (await asyncio.wait_for(server.stderr.read(), TIMEOUT)).decode("utf-8", "replace")


async def test_a_pasted_key_gets_a_diagnostic_and_the_npub_fix_removes_it(
    editor: Editor, tmp_path: Path
) -> None:
    key = new_key()
    uri = (tmp_path / "bot.py").as_uri()
    editor.open(uri, 'import os\n\nRELAY = "wss://relay.example"\nKEY = ""\n', "python")
    assert await editor.next_diagnostics(uri) == []  # clean on open
    editor.type(uri, types.Position(3, 7), key.nsec)  # pasted between the quotes
    diagnostics = await editor.next_diagnostics(uri)
    assert len(diagnostics) == 1
    diag = diagnostics[0]
    assert diag.source == "nsecguard" and diag.code == "nsec"
    assert diag.severity == types.DiagnosticSeverity.Error
    assert diag.range == types.Range(types.Position(3, 7), types.Position(3, 7 + len(key.nsec)))
    assert key.npub in diag.message and "environment variable" in diag.message
    actions = await editor.actions(uri, diag)
    titles = [a.title for a in actions]
    assert titles[0] == f"Replace the key with nostr:{key.npub}" and actions[0].is_preferred
    assert any('os.environ["NOSTR_SECRET_KEY"]' in t for t in titles)
    assert actions[0].edit is not None
    editor.apply(actions[0].edit)
    assert editor.docs[uri].source.splitlines()[3] == f'KEY = "nostr:{key.npub}"'
    assert await editor.next_diagnostics(uri) == []
    assert any(key.npub in line for line in editor.logs)  # the check was logged, by npub
    for text in [*editor.logs, *(a.title for a in actions), diag.message, str(diag.data)]:
        assert_no_secret(text, key)


@pytest.mark.parametrize(
    ("language", "name", "before", "after"),
    [
        (
            "python",
            "app.py",
            'SECRET = "{hex}"  # pub {pub}\n',
            'import os\nSECRET = os.environ["NOSTR_SECRET_KEY"]  # pub {pub}\n',
        ),
        ("typescript", "bot.ts", "const sk = '{nsec}';\n", "const sk = process.env.NOSTR_SECRET_KEY;\n"),
        (
            "rust",
            "main.rs",
            'let sk = "{nsec}";\n',
            'let sk = std::env::var("NOSTR_SECRET_KEY").expect("NOSTR_SECRET_KEY is not set");\n',
        ),
        ("go", "main.go", 'sk := "{nsec}"\n', 'sk := os.Getenv("NOSTR_SECRET_KEY")\n'),
        ("shellscript", "run.sh", "export NSEC={nsec}\n", "export NSEC=$NOSTR_SECRET_KEY\n"),
        ("dotenv", ".env", "NSEC={nsec}\n", "NSEC=${{NOSTR_SECRET_KEY}}\n"),
        ("yaml", "c.yaml", 'nostr:\n  nsec: "{nsec}"\n', 'nostr:\n  nsec: "${{NOSTR_SECRET_KEY}}"\n'),
    ],
)
async def test_the_environment_fix_per_language(
    editor: Editor, tmp_path: Path, language: str, name: str, before: str, after: str
) -> None:
    key = new_key()
    fill = {"nsec": key.nsec, "hex": key.hex, "pub": key.pubhex}
    uri = (tmp_path / name).as_uri()
    editor.open(uri, before.format(**fill), language)
    diagnostics = await editor.next_diagnostics(uri)
    assert len(diagnostics) == 1 and key.npub in diagnostics[0].message
    actions = await editor.actions(uri, diagnostics[0])
    env = [a for a in actions if "from the environment" in a.title]
    assert len(env) == 1 and env[0].edit is not None, [a.title for a in actions]
    editor.apply(env[0].edit)
    assert editor.docs[uri].source == after.format(**fill)
    assert await editor.next_diagnostics(uri) == []
    for action in actions:
        assert_no_secret(action.title + str(action.edit), key)


async def test_clean_document_has_no_diagnostic_and_closing_clears(editor: Editor, tmp_path: Path) -> None:
    key = new_key()
    clean = (tmp_path / "notes.md").as_uri()
    editor.open(clean, f"My public key is {key.npub}, hex {key.pubhex}.\n", "markdown")
    assert await editor.next_diagnostics(clean) == []
    leaky = (tmp_path / "leak.txt").as_uri()
    editor.open(leaky, f"oops {key.nsec}\n", "plaintext")
    assert len(await editor.next_diagnostics(leaky)) == 1
    editor.client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(leaky))
    )
    assert await editor.next_diagnostics(leaky) == []


async def test_changes_are_debounced(editor: Editor, tmp_path: Path) -> None:
    """Typing a key character by character: scanned after the pause, not once per keystroke."""
    key = new_key()
    uri = (tmp_path / "typed.txt").as_uri()
    editor.open(uri, "key: \n", "plaintext")
    assert await editor.next_diagnostics(uri) == []
    for i, char in enumerate(key.nsec):
        editor.type(uri, types.Position(0, 5 + i), char)
    publishes = 1
    while not await editor.next_diagnostics(uri):
        publishes += 1
    await asyncio.sleep(0.5)
    publishes += editor.published.qsize()
    assert len(editor.diagnostics[uri]) == 1
    assert publishes < 10  # 63 changes (one, unless the machine stalls for 200 ms mid-paste)


async def test_project_config_allows_a_test_vector(editor: Editor, tmp_path: Path) -> None:
    key = new_key()
    (tmp_path / ".nsecguard.toml").write_text(f'allow = ["{key.npub}"]\n')
    uri = (tmp_path / "vectors.py").as_uri()
    editor.open(uri, f'NSEC = "{key.nsec}"\nOTHER = ""\n', "python")
    assert await editor.next_diagnostics(uri) == []
    (tmp_path / ".nsecguard.toml").write_text("allow = []\n")  # the user edits the config
    editor.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier((tmp_path / ".nsecguard.toml").as_uri()))
    )
    editor.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert len(await editor.next_diagnostics(uri)) == 1


async def test_the_server_log_never_holds_a_key(tmp_path: Path) -> None:
    key: TestKey = new_key()
    ed = Editor()
    await ed.client.start_io(sys.executable, "-m", "nsecguard", "lsp", "-v", env=dict(os.environ))
    await ed.client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    ed.client.initialized(types.InitializedParams())
    uri = (tmp_path / key.nsec).as_uri()  # even a file named after the key
    ed.open(uri, f"{key.nsec}\n{key.hex}\n", "plaintext")
    # the output boundary scrubs the key out of the URI it echoes too (the editor then has no
    # document to put the diagnostic on: a file named after a key is not worth leaking it for)
    for _ in range(200):
        if ed.diagnostics:
            break
        await asyncio.sleep(0.05)
    assert ed.diagnostics and uri not in ed.diagnostics
    assert_no_secret(repr(ed.diagnostics), key)
    await ed.client.shutdown_async(None)
    ed.client.exit(None)
    err = await _stderr(ed)
    await ed.client.stop()
    assert "leaked key" in err  # -v logs each check
    assert_no_secret(err + "\n".join(ed.logs + ed.shown), key)


async def test_ranges_are_in_the_clients_utf16_units(editor: Editor, tmp_path: Path) -> None:
    """Positions count UTF-16 code units (the LSP default): an emoji before the key is two."""
    key = new_key()
    uri = (tmp_path / "notes.md").as_uri()
    prefix = "🔑 clé: "
    editor.open(uri, f"# Ünïcode\n{prefix}{key.nsec} ok\n", "markdown")
    (diag,) = await editor.next_diagnostics(uri)
    start = len(prefix.encode("utf-16-le")) // 2
    assert diag.range == types.Range(types.Position(1, start), types.Position(1, start + len(key.nsec)))
    actions = await editor.actions(uri, diag)
    assert actions[0].edit is not None
    editor.apply(actions[0].edit)
    assert editor.docs[uri].source == f"# Ünïcode\n{prefix}nostr:{key.npub} ok\n"
