#!/usr/bin/env python3
"""How small zstd makes stored documents: plain, at a few levels, and with a trained dictionary.

usage: python benchmarks/raw_compression.py [--pages 5000] [--folder DIR ...]

Generated page dumps (``ingest_speed.py``'s) and, for each ``--folder``, its
files (up to 4,000, each under 5 MB): bytes per document as read, compressed
with zstd at levels 1, 3 and 6, and with a dictionary trained on the first half
of them (16, 64 and 110 KiB) and used on the second half; CPU per document to
compress and decompress. What ``db.raw`` chose (plain zstd, level 3), and the
dictionary it did not, are in README, Raw documents.

Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_speed import page  # noqa: E402  (the benchmark's generator, beside this file)


def _cpu_us(work: list[bytes], function: object) -> float:
    start = time.process_time()
    for item in work:
        function(item)  # type: ignore[operator]
    return (time.process_time() - start) / len(work) * 1e6


def measure(name: str, documents: list[bytes]) -> None:
    """Print the sizes and times of one set of documents."""
    mean = sum(map(len, documents)) / len(documents)
    print(f"{name}: {len(documents)} documents, {mean:,.0f} bytes each")
    for level in (1, 3, 6):
        compressor = zstandard.ZstdCompressor(level=level)
        packed = [compressor.compress(d) for d in documents]
        size = sum(map(len, packed)) / len(packed)
        squeeze = _cpu_us(documents, compressor.compress)
        unsqueeze = _cpu_us(packed, zstandard.ZstdDecompressor().decompress)
        print(
            f"  plain level {level}: {size:,.0f} bytes ({mean / size:.2f}x), "
            f"{squeeze:.0f} µs to compress, {unsqueeze:.0f} µs to decompress"
        )
    half = len(documents) // 2
    train, test = documents[:half], documents[half:]
    test_mean = sum(map(len, test)) / len(test)
    for kib in (16, 64, 110):
        try:
            dictionary = zstandard.train_dictionary(kib * 1024, train[:2000])
        except zstandard.ZstdError as exc:
            print(f"  dictionary {kib} KiB: cannot train ({exc})")
            continue
        compressor = zstandard.ZstdCompressor(level=3, dict_data=dictionary)
        packed = [compressor.compress(d) for d in test]
        size = sum(map(len, packed)) / len(packed)
        print(
            f"  dictionary {kib} KiB, level 3: {size:,.0f} bytes of {test_mean:,.0f} "
            f"({test_mean / size:.2f}x), {_cpu_us(test, compressor.compress):.0f} µs to compress"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--folder", type=Path, action="append", default=[])
    args = parser.parse_args()
    rng = random.Random(20250209)
    measure("generated page dumps", [page(rng, n).encode() for n in range(args.pages)])
    for folder in args.folder:
        files = sorted(p for p in folder.rglob("*") if p.is_file())[:4000]
        documents = [d for d in (p.read_bytes() for p in files) if 0 < len(d) < 5_000_000]
        if len(documents) >= 20:
            measure(str(folder), documents)
        else:
            print(f"{folder}: too few files to measure ({len(documents)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
