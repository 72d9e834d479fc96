"""A snapshot's payload: pickles whose large arrays lie outside them, loaded back as views of the payload's bytes."""

from __future__ import annotations

import mmap
import pickle

import numpy as np
import pytest

from qa_service import payload
from qa_service.payload import ALIGNMENT, OUT_OF_BAND_BYTES, Payload


def joined(pieces) -> bytes:
    return b"".join(bytes(piece) for piece in pieces)


def backing(array: np.ndarray) -> object:
    """What an array's data belongs to, past the arrays it is a view of."""
    while isinstance(array, np.ndarray):
        array = array.base
    return array


def test_objects_load_back_equal_in_the_order_they_were_written():
    large = np.arange(OUT_OF_BAND_BYTES // 4 + 1, dtype=np.int32)
    small = np.array([1.5, 2.5], dtype=np.float32)
    objects = [{"large": large, "small": small, "words": ["a", "b"]}, None, (large[::2], 7)]

    loaded = Payload(joined(payload.pieces(objects)))

    assert len(loaded) == 3
    first, second, third = (loaded.load(n) for n in range(3))
    assert np.array_equal(first["large"], large) and np.array_equal(first["small"], small)
    assert first["words"] == ["a", "b"] and second is None
    assert np.array_equal(third[0], large[::2]) and third[1] == 7


def test_a_large_array_is_a_view_of_the_payload_aligned_and_a_small_one_a_copy_inside_the_pickle():
    large = np.arange(OUT_OF_BAND_BYTES, dtype=np.int64).reshape(-1, 8)
    small = np.arange(10, dtype=np.int64)
    data = bytearray(joined(payload.pieces([[small, large]])))

    small_loaded, large_loaded = Payload(data).load(0)

    assert np.array_equal(large_loaded, large) and large_loaded.shape == large.shape
    assert isinstance(backing(large_loaded), memoryview) and backing(large_loaded).obj is data
    offset = large_loaded.ctypes.data - np.frombuffer(data, np.uint8).ctypes.data
    assert offset % ALIGNMENT == 0
    assert np.array_equal(small_loaded, small) and getattr(backing(small_loaded), "obj", None) is not data
    data[offset:offset + 8] = (99).to_bytes(8, "little")
    assert large_loaded[0, 0] == 99  # the payload's bytes, not a copy of them


def test_arrays_of_a_mapped_file_are_read_only_pages_of_the_file(tmp_path):
    large = np.arange(OUT_OF_BAND_BYTES, dtype=np.int32)
    path = tmp_path / "payload"
    with path.open("wb") as file:
        for piece in payload.pieces([large]):
            file.write(piece)
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    loaded = Payload(memoryview(mapped)).load(0)

    assert np.array_equal(loaded, large)
    assert backing(loaded).obj is mapped
    assert not loaded.flags.writeable


def test_an_unpickler_of_ones_own_loads_the_objects():
    class Refusing(pickle.Unpickler):
        def find_class(self, module, name):
            raise pickle.UnpicklingError(f"{module}.{name} refused")

    data = joined(payload.pieces([["calm", 7], pickle.PickleError("x")]))

    assert Payload(data).load(0, Refusing) == ["calm", 7]
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        Payload(data).load(1, Refusing)


def test_an_empty_file_maps_to_no_bytes_and_a_written_one_to_its_bytes(tmp_path):
    path = tmp_path / "payload"
    path.write_bytes(b"")
    with path.open("rb") as file:
        assert payload.mapped(file) == b""
    path.write_bytes(b"pickles")
    with path.open("rb") as file:
        view = payload.mapped(file)
    assert view == b"pickles" and isinstance(view.obj, mmap.mmap)


@pytest.mark.parametrize("damage", ["other bytes", "cut short", "longer", "table cut short"])
def test_bytes_not_laid_out_as_a_payload_are_refused(damage):
    data = joined(payload.pieces([np.zeros(OUT_OF_BAND_BYTES, np.uint8), "text"]))
    damaged = {"other bytes": b"x" * len(data), "cut short": data[:-1], "longer": data + b"\0",
               "table cut short": data[:len(payload.MAGIC) + 12]}[damage]

    with pytest.raises(ValueError):
        Payload(damaged)
