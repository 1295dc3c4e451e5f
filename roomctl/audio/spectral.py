"""A long real signal from its spectrum, built from short FFTs in about its own size of memory.

One inverse FFT of a noise table's length (2**20 frames) holds the spectrum, the output
and as much again in numpy's FFT scratch: 4 x the table at once, left behind in the
allocator's free lists afterwards. Here the same inverse transform is done in four steps
(Cooley-Tukey with the length split into rows x columns, n = rows x cols): inverse FFTs of
length `rows` down the columns, a twiddle factor, then real inverse FFTs of length `cols`
along the rows. The output is real, so its spectrum is Hermitian and only the columns up to
cols // 2 are needed: the working array is half a table of complex values (the table's own
size), mapped from the system so its pages go back when it is dropped.

Bin k of the spectrum sits in row k // cols, column k % cols. A spectrum is given as
`columns(first, stop)`: bins of columns first..stop-1, every row, shape (rows, stop - first).
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
ComplexArray = npt.NDArray[np.complex64]
# Bins of columns first..stop-1 of the spectrum (rows x columns), see the module's docstring.
Columns = Callable[[int, int], ComplexArray]

# Columns (and rows) are transformed this many at a time: 16 x 1024 complex64 is 128 KB,
# small next to the table, in few enough numpy calls (~100 per table) to stay quick.
BLOCK = 16


def split(frames: int) -> tuple[int, int]:
    """Return (rows, cols) with rows x cols == frames and rows the largest divisor <= sqrt."""
    rows = math.isqrt(frames)
    while frames % rows:
        rows -= 1
    return rows, frames // rows


def _mapped(shape: tuple[int, int], dtype: type[np.complex64]) -> ComplexArray:
    """Return an array of its own anonymous mapping, unmapped once the array is dropped."""
    size = shape[0] * shape[1] * np.dtype(dtype).itemsize
    array: ComplexArray = np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)
    return array


def inverse_real(frames: int, columns: Columns) -> FloatArray:
    """Return the real inverse FFT (numpy's `irfft` scaling) of a Hermitian spectrum.

    `columns` gives the bins of columns 0..cols // 2 only (see split), each bin k holding
    the conjugate of bin frames - k where both are asked for.
    """
    rows, cols = split(frames)
    half = cols // 2 + 1
    work = _mapped((rows, half), np.complex64)
    for first in range(0, half, BLOCK):
        stop = min(first + BLOCK, half)
        work[:, first:stop] = np.fft.ifft(columns(first, stop), axis=0)
    out: FloatArray = np.empty(frames, dtype=np.float32)
    # The output's frame n1 + rows x n2 comes from row n1, so row n1 fills column n1 here.
    by_row = out.reshape(cols, rows)
    k2 = np.arange(half)
    for first in range(0, rows, BLOCK):
        n1 = np.arange(first, min(first + BLOCK, rows))
        twiddle = np.exp((2j * math.pi / frames) * np.outer(n1, k2)).astype(np.complex64)
        block = work[first : first + len(n1)] * twiddle
        by_row[:, first : first + len(n1)] = np.fft.irfft(block, n=cols, axis=1).T
    return out
