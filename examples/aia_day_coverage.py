"""
Look before you download: the coverage of a day of AIA
======================================================

A day of AIA in seven EUV wavelengths is about 50,000 records and terabytes of
files. ``res.plot_coverage()`` draws what the search found (one row per wavelength,
gaps hatched, records with a nonzero ``QUALITY`` in red) and ``res.summary()`` says
it in words. Both work from the search table alone: no request is made.
"""

import time

import astropy.units as u
import matplotlib.pyplot as plt
from sunpy.net import attrs as a

import sunpy_jsocx
from sunpy_jsocx.emulator import JSOCEmulator

# The JSOC emulator that ships with the package, on a free loopback port,
# and every sunpy-jsocx request sent to it. For the real JSOC, leave out
# these lines and the last cell.
emu = JSOCEmulator().start()
server = sunpy_jsocx.use_server(emu.url)

###############################################################################
# One search for the seven wavelengths, with the ``QUALITY`` keyword so that flagged
# records can be shown. ``client.info("aia.lev1")`` fetches the description of the
# series the image segment links to, which gives the size estimate.

client = sunpy_jsocx.JSOCXClient()
wavelengths = a.Wavelength(94 * u.AA)
for w in (131, 171, 193, 211, 304, 335):
    wavelengths |= a.Wavelength(w * u.AA)
res = client.search(a.Time("2014-01-18T00:00:00", "2014-01-19T00:00:00"),
                    a.jsocx.Series("aia.lev1_euv_12s"),
                    a.jsocx.Segment("image"), wavelengths, keys=["QUALITY"])
client.info("aia.lev1")
print(f"{len(res)} records")

###############################################################################
# The summary and the plot. The emulator counts requests: looking makes
# none.

before = emu.stats()["requests_total"]
started = time.perf_counter()
print(res.summary())
ax = res.plot_coverage()
took = time.perf_counter() - started
requests = emu.stats()["requests_total"] - before
print(f"summary and plot in {took:.2f} s, {requests} requests")
ax.figure.set_size_inches(10, 4.5)
plt.show()

###############################################################################
# A slice of the table has its own coverage: here the four hours around the gap,
# in two wavelengths.

t, wavelength = res["T_REC"], res["WAVELNTH"]
keep = ((t > "2014-01-18T11:00:00") & (t < "2014-01-18T15:00:00")
        & ((wavelength == 171) | (wavelength == 304)))
ax = res[keep].plot_coverage()
ax.figure.set_size_inches(10, 2.5)
plt.show()

###############################################################################
# Stop sending requests to the emulator, and stop it.

server.restore()
emu.stop()
