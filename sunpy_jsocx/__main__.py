"""
``python -m sunpy_jsocx COMMAND ...``: discover, search, stage and download JSOC data.

The commands live in `sunpy_jsocx.cli`; ``python -m sunpy_jsocx --help`` lists them.
"""

import sys

from sunpy_jsocx.cli import main

if __name__ == "__main__":
    sys.exit(main())
