"""nsecguard for Matrix: a room guard bot, a Synapse module and a local demo.

Importing this package does not import matrix-nio or Synapse: each module that needs one
imports it itself, so `nsecguard --help` works without the `matrix` extra.
"""
