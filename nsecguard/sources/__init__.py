"""Where text comes from: files and directories, stdin (and git, in `sources.git`)."""
