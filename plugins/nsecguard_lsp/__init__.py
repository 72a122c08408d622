"""`nsecguard lsp`: a Language Server that flags a pasted Nostr key as the user types.

Registered through the `nsecguard.frontends` entry point `lsp` (see `frontend.py`); the core
`nsecguard` package never imports this one, nor pygls.
"""
