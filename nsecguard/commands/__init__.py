"""The built-in front-ends: one module per `nsecguard` subcommand."""
