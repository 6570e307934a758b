"""
Search, slice and fetch exactly the rows you keep
=================================================

Search two AIA wavelengths through ``Fido``, look at the table, keep every other
record of one wavelength and fetch only those, then open the files with
`sunpy.map.Map`.
"""

import tempfile

import astropy.units as u
import matplotlib.pyplot as plt
import sunpy.map
from sunpy.net import Fido
from sunpy.net import attrs as a

import sunpy_jsocx  # registers the client and a.jsocx with Fido
from sunpy_jsocx.emulator import JSOCEmulator

# The JSOC emulator that ships with the package, on a free loopback port,
# and every sunpy-jsocx request sent to it. For the real JSOC, leave out
# these lines and the last cell.
emu = JSOCEmulator().start()
server = sunpy_jsocx.use_server(emu.url)

###############################################################################
# One search, two wavelengths: ``|`` gives one result block per wavelength.

res = Fido.search(a.Time("2014-01-01T00:00:00", "2014-01-01T00:00:30"),
                  a.jsocx.Series("aia.lev1_euv_12s"),
                  a.jsocx.Notify("you@example.org"),
                  a.Wavelength(304 * u.AA) | a.Wavelength(171 * u.AA))
print(res)

###############################################################################
# ``res[1, ::2]`` is every other record of the second block (171 Å). Fetching
# it downloads exactly those records and nothing else: the emulator counts the
# files.

before = emu.stats()["files_served"]
files = Fido.fetch(res[1, ::2], path=tempfile.mkdtemp() + "/{file}",
                   progress=False)
print(f"{len(files)} files, {emu.stats()['files_served'] - before} downloaded")

###############################################################################
# The files are FITS with the headers JSOC writes, so `sunpy.map.Map` opens
# them. They are named as JSOC names its exports: the ``image`` segment links
# to the ``aia.lev1`` record, whose segment is ``image_lev1`` and whose T_REC
# is the image's T_OBS to the second, so 171 Å images end in
# ``...T000012Z.171.image_lev1.fits`` (and the spike lists in ``.spikes.fits``).

maps = [sunpy.map.Map(f) for f in sorted(files) if f.endswith(".image_lev1.fits")]
fig = plt.figure(figsize=(8, 4))
for i, m in enumerate(maps):
    ax = fig.add_subplot(1, len(maps), i + 1, projection=m)
    m.plot(axes=ax, clip_interval=(1, 99.5) * u.percent)
    ax.set_title(f"{m.wavelength:.0f}  {m.date.isot[11:19]}")
fig.tight_layout()
plt.show()

###############################################################################
# Stop sending requests to the emulator, and stop it.

server.restore()
emu.stop()
