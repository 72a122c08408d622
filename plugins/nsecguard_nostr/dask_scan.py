"""Archives too big for one machine: the same pure scan, run by Dask.

`scan_partition` is applied to each partition of a `dask.bag` of lines and the results are
combined with `merge_all` in a tree; nothing here is distributed by hand. Needs the `scale`
extra (`pip install 'nsecguard[scale]'`); `distributed` as well for a cluster (docs/scale.md).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from nsecguard.engine import Options
from nsecguard_nostr.archive import Aggregate, merge_all, scan_partition
from nsecguard_nostr.event import EVERYTHING, RELAY_OPTIONS, EventFilter

if TYPE_CHECKING:
    import dask.bag

_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zstd")


def scan_bag(
    bag: dask.bag.Bag,
    *,
    filt: EventFilter = EVERYTHING,
    options: Options = RELAY_OPTIONS,
    split_every: int = 16,
) -> Any:
    """A lazy `dask.bag.Item` whose value is the `Aggregate` of every line in `bag`."""
    return bag.reduction(  # type: ignore[no-untyped-call]
        partial(scan_partition, filt=filt, options=options), merge_all, split_every=split_every
    )


def read_lines(paths: list[str], blocksize: str | int | None = "64MiB") -> dask.bag.Bag:
    """A bag of lines from local paths, globs or any fsspec URL (s3://, gs://, hdfs://...).
    Compressed files cannot be split: each is one partition, so ship many of them."""
    try:
        import dask.bag as db
    except ImportError:
        from nsecguard.errors import FatalError

        raise FatalError("this needs Dask: pip install 'nsecguard[scale]'") from None
    from fsspec.core import get_fs_token_paths  # type: ignore[import-untyped]

    expanded: list[str] = []
    for path in paths:  # globs expanded here, to tell compressed files from splittable ones
        fs, _, found = get_fs_token_paths(path)
        expanded += [fs.unstrip_protocol(f) if "://" in path else f for f in found]
    if not expanded:
        from nsecguard.errors import FatalError

        raise FatalError(f"no files match {' '.join(paths)}")
    packed = [p for p in expanded if p.endswith(_COMPRESSED)]
    plain = [p for p in expanded if not p.endswith(_COMPRESSED)]
    bags: list[dask.bag.Bag] = []
    for group, size in ((plain, blocksize), (packed, None)):
        if group:
            bags.append(
                db.read_text(  # type: ignore[no-untyped-call]
                    group, blocksize=size, compression="infer", encoding="utf-8", errors="replace"
                )
            )
    bag: dask.bag.Bag = bags[0] if len(bags) == 1 else db.concat(bags)  # type: ignore[no-untyped-call]
    return bag


def scan_paths(
    paths: list[str],
    *,
    scheduler: str = "processes",
    blocksize: str | int | None = "64MiB",
    filt: EventFilter = EVERYTHING,
    options: Options = RELAY_OPTIONS,
) -> Aggregate:
    """Scan with a local scheduler (`synchronous`, `threads`, `processes`) or, given the address
    of a Dask distributed scheduler (`tcp://host:8786`), on its cluster."""
    item = scan_bag(read_lines(paths, blocksize), filt=filt, options=options)
    if "://" in scheduler:
        try:
            from distributed import Client  # type: ignore[import-not-found]
        except ImportError:
            from nsecguard.errors import FatalError

            raise FatalError("a Dask cluster needs: pip install 'dask[distributed]'") from None

        with Client(scheduler):
            result = item.compute()
    else:
        result = item.compute(scheduler=scheduler)
    if not isinstance(result, Aggregate):
        raise TypeError(f"Dask returned {type(result).__name__}, not an Aggregate")
    return result
