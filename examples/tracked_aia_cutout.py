"""
A tracked AIA cutout, as an animation
=====================================

JSOC can cut a region out of every image before sending it (its ``im_patch``
processing), and move the region with the solar rotation. `a.jsocx.Cutout
<sunpy_jsocx.attrs.Cutout>` asks for it; the files that arrive are the small
cutouts, not full-disk images. Six hours of AIA 171 Å, one image an hour, shown
as an animation with `sunpy.map.MapSequence`.
"""

import tempfile

import astropy.units as u
import matplotlib.pyplot as plt
import sunpy.map
from astropy.coordinates import SkyCoord
from sunpy.coordinates import frames
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx.emulator import JSOCEmulator

# The JSOC emulator that ships with the package, on a free loopback port,
# and every sunpy-jsocx request sent to it. For the real JSOC, leave out
# these lines and the last cell.
# A cutout needs an export, and an export an address that JSOC knows.
emu = JSOCEmulator(image_size=512,
                   registered=("you@example.org",)).start()
server = sunpy_jsocx.use_server(emu.url)

###############################################################################
# The region: two corners in helioprojective coordinates at the reference time.
# With ``tracking=True`` JSOC moves the region with the solar rotation from
# that time.

start = "2014-01-01T00:00:00"
bottom_left = SkyCoord(-500 * u.arcsec, -275 * u.arcsec, obstime=start,
                       frame=frames.Helioprojective, observer="earth")
top_right = SkyCoord(150 * u.arcsec, 375 * u.arcsec, obstime=start,
                     frame=frames.Helioprojective, observer="earth")
res = Fido.search(a.Time(start, "2014-01-01T05:59:59"),
                  a.jsocx.Series("aia.lev1_euv_12s"), a.Wavelength(171 * u.AA),
                  a.jsocx.Segment("image"), a.jsocx.Sample(1 * u.h),
                  a.jsocx.Notify("you@example.org"),
                  a.jsocx.Cutout(bottom_left, top_right=top_right,
                                 tracking=True))
print(res)

###############################################################################
# The fetch goes through one export (JSOC does the cutting), then downloads the
# cutouts.

files = Fido.fetch(res, path=tempfile.mkdtemp() + "/{file}",
                   progress=False)
sequence = sunpy.map.Map(sorted(files), sequence=True)
ny, nx = sequence[0].data.shape
print(f"{len(sequence)} cutouts of {nx} x {ny} pixels")

###############################################################################
# `sunpy.map.MapSequence.plot` returns a Matplotlib animation, one frame a
# cutout.

fig = plt.figure(figsize=(5, 5))
ax = fig.add_subplot(projection=sequence[0])
ani = sequence.plot(axes=ax, norm=sequence[0].plot_settings["norm"])
plt.show()

###############################################################################
# Stop sending requests to the emulator, and stop it.

server.restore()
emu.stop()
