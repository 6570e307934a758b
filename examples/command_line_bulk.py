"""
A bulk job from the command line
================================

``python -m sunpy_jsocx fetch RECORDSET --path DIR`` searches a JSOC record set and
downloads every file, verifying each; run it again and it downloads only what is
missing. Here it runs as a subprocess against the emulator (``--server``), as a
shell would run it, and the figure shows what it downloaded.
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import sunpy.map

from sunpy_jsocx.emulator import JSOCEmulator

# The JSOC emulator that ships with the package; the command line is sent to
# it with --server (leave that out for the real JSOC).
emu = JSOCEmulator().start()
workdir = Path(tempfile.mkdtemp())  # the shell's current directory


def jsocx(*args):
    """Run ``python -m sunpy_jsocx ARGS...``; print what a shell shows."""
    cmd = [sys.executable, "-m", "sunpy_jsocx", "--server", emu.url, *args]
    print("$ python -m sunpy_jsocx", " ".join(shlex.quote(a) for a in args))
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir,
                          check=False)
    print(done.stdout + done.stderr, end="")
    return done.returncode


###############################################################################
# What the record set holds: HMI line-of-sight magnetograms, one every 15 minutes
# for an hour.

recordset = "hmi.M_45s[2014.01.01_TAI/1h@15m]"
jsocx("search", recordset, "--key", "QUALITY")

###############################################################################
# The bulk job, then the same command again: the second run finds every file
# complete and downloads nothing.

jsocx("fetch", recordset, "--path", "data", "--no-progress")
jsocx("fetch", recordset, "--path", "data", "--no-progress")

###############################################################################
# The files are FITS that `sunpy.map.Map` opens.

files = sorted((workdir / "data").glob("*.fits"))
maps = [sunpy.map.Map(f).rotate(order=1) for f in files]  # solar north up
fig = plt.figure(figsize=(8, 8), layout="constrained")
for i, m in enumerate(maps):
    ax = fig.add_subplot(2, 2, i + 1, projection=m)
    m.plot(axes=ax, title=f"T_REC {m.meta['t_rec']}")
    ax.coords[0].set_axislabel(" ")
    ax.coords[1].set_axislabel(" ")
plt.show()

###############################################################################
# Stop the emulator when done.

emu.stop()
