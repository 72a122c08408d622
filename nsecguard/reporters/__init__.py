"""Findings out: one module per format, each `write(result, stream, **opts)`."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TextIO

from nsecguard.result import ScanResult

FORMATS = ("text", "json", "sarif")


def writer(fmt: str) -> Callable[[ScanResult, TextIO], None]:
    module = import_module(f"nsecguard.reporters.{fmt}_report")
    write: Callable[[ScanResult, TextIO], None] = module.write
    return write
