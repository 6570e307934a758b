"""
sunpy-jsocx: a SunPy Fido client for the Stanford JSOC, and an offline JSOC emulator.

``import sunpy_jsocx`` registers `JSOCXClient` with ``Fido`` and its attrs as
``sunpy.net.attrs.jsocx``.
"""

from sunpy_jsocx.client import JSOCXClient
from sunpy_jsocx.config import reset_server, use_server
from sunpy_jsocx.timeutils import tai

# The one version string: pyproject.toml reads it from here (a plain literal, read without importing).
__version__ = "0.1.0.dev0"

__all__ = ["JSOCXClient", "use_server", "reset_server", "tai", "__version__"]
