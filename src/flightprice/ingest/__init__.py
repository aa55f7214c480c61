"""Ingest: discover new raw files, check them against the contract, load them or quarantine them."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "load_raw_files": ".load",
    "IngestPolicy": ".load",
    "discover_new_files": ".load",
    "validate_file": ".load",
    "IngestReport": "._report",
    "RawFile": ".load",
    "ValidatedFile": ".load",
    "Rejection": ".load",
    "FEED_COLUMNS": ".load",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
