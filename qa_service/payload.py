"""A snapshot's payload: pickles whose large arrays lie outside them, each at an aligned offset, so that loading
makes those arrays views of the payload's own bytes instead of copies of them.

Over a file mapped into memory (publications/folder.py) such an array is pages of the file: a restart maps it
instead of reading and copying it, the kernel reads only the pages a question touches, and the workers gunicorn
forks share them (reference counts are kept in an array's header, never in its data, so nothing copies them).
Pickle's protocol 5 hands every contiguous array's data to a callback (PEP 574); those of at least
OUT_OF_BAND_BYTES are written after the pickle, the small ones stay inside it, where loading copies them as before.

Layout, every integer 8 bytes little-endian: MAGIC; the number of pickles; for each pickle, its length, the number
of its out-of-band buffers and their lengths; then each pickle, and after it its buffers, each starting at a
multiple of ALIGNMENT from the payload's start (a page of a mapped file starts at such a multiple too, so each
array starts aligned in memory when the payload does).
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import struct
from collections.abc import Sequence
from typing import BinaryIO

MAGIC = b"qa-payload\0\0\0\0\0\0"
ALIGNMENT = 64
# A document's own small arrays stay in the pickle: padding each to ALIGNMENT would cost more than it maps.
OUT_OF_BAND_BYTES = 64 * 1024
_INTEGER = struct.Struct("<Q")


def pieces(objects: Sequence[object]) -> list[bytes | memoryview]:
    """A payload holding these objects, as the pieces to write one after another; the large arrays' pieces are
    views of the arrays, not copies."""
    streams = []
    for obj in objects:
        buffers: list[memoryview] = []

        def out_of_band(buffer: pickle.PickleBuffer, buffers=buffers) -> bool:
            view = buffer.raw()
            if view.nbytes < OUT_OF_BAND_BYTES:
                return True  # in the pickle
            buffers.append(view)
            return False

        file = io.BytesIO()
        pickle.Pickler(file, protocol=5, buffer_callback=out_of_band).dump(obj)
        streams.append((file.getvalue(), buffers))
    table = [MAGIC, _INTEGER.pack(len(streams))]
    for stream, buffers in streams:
        table += [_INTEGER.pack(len(stream)), _INTEGER.pack(len(buffers)), *(_INTEGER.pack(b.nbytes) for b in buffers)]
    written = [b"".join(table)]
    offset = len(written[0])
    for stream, buffers in streams:
        written.append(stream)
        offset += len(stream)
        for buffer in buffers:
            padding = -offset % ALIGNMENT
            written += [bytes(padding), buffer]
            offset += padding + buffer.nbytes
    return written


def mapped(file: BinaryIO) -> memoryview:
    """An open file's bytes mapped read-only (an empty file, which cannot be mapped, as no bytes): a file a payload
    is read from, which must never be written again while its arrays live."""
    file.flush()
    if not os.fstat(file.fileno()).st_size:
        return memoryview(b"")
    return memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))


class Payload:
    """A payload read back: its pickles are loaded one at a time, their large arrays as views of `data` (which must
    stay unchanged while they live). ValueError when `data` is not laid out as `pieces` writes."""

    def __init__(self, data: bytes | memoryview):
        self.data = memoryview(data).cast("B")
        if bytes(self.data[:len(MAGIC)]) != MAGIC:
            raise ValueError("not a payload of pickles")
        at = len(MAGIC)
        count, at = self._integer(at)
        lengths = []
        for _ in range(count):
            stream, at = self._integer(at)
            buffer_count, at = self._integer(at)
            buffers = []
            for _ in range(buffer_count):
                length, at = self._integer(at)
                buffers.append(length)
            lengths.append((stream, buffers))
        # Where each pickle and each of its buffers is.
        self._places: list[tuple[slice, list[slice]]] = []
        for stream, buffers in lengths:
            stream_at = slice(at, at + stream)
            at += stream
            buffer_at = []
            for length in buffers:
                at += -at % ALIGNMENT
                buffer_at.append(slice(at, at + length))
                at += length
            self._places.append((stream_at, buffer_at))
        if at != len(self.data):
            raise ValueError(f"its table describes {at} bytes, not {len(self.data)}")

    def _integer(self, at: int) -> tuple[int, int]:
        if at + _INTEGER.size > len(self.data):
            raise ValueError("its table is cut short")
        return _INTEGER.unpack_from(self.data, at)[0], at + _INTEGER.size

    def __len__(self) -> int:
        return len(self._places)

    def load(self, number: int, unpickler: type[pickle.Unpickler] = pickle.Unpickler) -> object:
        """The `number`th object, unpickled by `unpickler` (one that refuses what it does not know, say)."""
        stream, buffers = self._places[number]
        file = io.BytesIO(self.data[stream])
        return unpickler(file, buffers=[self.data[place] for place in buffers]).load()
