"""
The seed each record's files are drawn with.

One formula for the server that renders a record's files and for code that must know
their pixels without serving them (`sunpy_jsocx.emulator.iris` computes an IRIS frame's
statistics keywords from the very frame the server will send).
"""

from __future__ import annotations

__all__ = ["file_seed"]


def file_seed(recnum: int, seed: int) -> int:
    """
    The random seed of record ``recnum``'s files in an emulator started with ``seed``.

    Examples
    --------
    >>> file_seed(1, 0)
    1000003
    """
    return (int(recnum) * 1000003 + int(seed)) & 0x7FFFFFFF
