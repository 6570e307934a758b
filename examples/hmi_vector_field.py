"""
HMI vector magnetic field: four segments of one record
======================================================

``hmi.B_720s`` stores the photospheric vector field of each 12-minute record in
separate segments. Ask for four of them with ``&`` on `a.jsocx.Segment
<sunpy_jsocx.attrs.Segment>`, fetch one record and show each segment.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import sunpy.map
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx.emulator import JSOCEmulator

# The JSOC emulator that ships with the package, on a free loopback port,
# and every sunpy-jsocx request sent to it. For the real JSOC, leave out
# these lines and the last cell.
emu = JSOCEmulator().start()
server = sunpy_jsocx.use_server(emu.url)

###############################################################################
# The segments a series has, with their units, come from JSOC's series
# description.

client = sunpy_jsocx.JSOCXClient()
segments = client.segments("hmi.B_720s")
print(segments["name", "units", "protocol"][:6])

###############################################################################
# Eleven minutes, four segments: the search finds two records, and ``res[0, :1]``
# fetches the first one only.

res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:11:00"),
                  a.jsocx.Series("hmi.B_720s"),
                  a.jsocx.Notify("you@example.org"),
                  a.jsocx.Segment("field") & a.jsocx.Segment("inclination")
                  & a.jsocx.Segment("azimuth") & a.jsocx.Segment("disambig"))
print(res)
files = Fido.fetch(res[0, :1], path=tempfile.mkdtemp() + "/{file}",
                   progress=False)
print(sorted(Path(f).name for f in files))

###############################################################################
# Each file is one segment of the record: field strength (gauss), inclination
# and azimuth (degrees) and the disambiguation flags. HMI's images are stored
# upside down (``CROTA2`` near 180 degrees), as the axes show.

fig = plt.figure(figsize=(9, 8), layout="constrained")
for i, name in enumerate(["field", "inclination", "azimuth", "disambig"]):
    [path] = [f for f in files if f.endswith(f".{name}.fits")]
    m = sunpy.map.Map(path)
    ax = fig.add_subplot(2, 2, i + 1, projection=m)
    im = m.plot(axes=ax, cmap="twilight" if name == "azimuth" else "gray",
                title=f"{name} [{m.unit}]" if m.unit else name)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.coords[0].set_axislabel(" ")
    ax.coords[1].set_axislabel(" ")
fig.suptitle(f"hmi.B_720s {res[0][0]['T_REC']}")
plt.show()

###############################################################################
# Stop sending requests to the emulator, and stop it.

server.restore()
emu.stop()
