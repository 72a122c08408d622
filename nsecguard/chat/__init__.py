"""The platform-neutral chat guard: one workflow for every chat front-end.

A platform adapter is a `Transport` (how to remove, post, warn and mention on that platform)
plus an event loop that turns the platform's events into `Message`s and calls
`Guard.handle`. Nothing here imports a chat library.
"""
