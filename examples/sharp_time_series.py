"""
A SHARP's keywords as a time series
===================================

The Space-weather HMI Active Region Patches (SHARPs) come with summary keywords for
every record: total unsigned flux ``USFLUX``, total unsigned current helicity
``TOTUSJH``, mean field inclination ``MEANGAM`` and more. A search that asks for them
with ``keys=`` gets them in the result table, so a time series needs no download.

The emulator that answers here models them: each HARP's indices grow and decay over
its life, with levels and ratios taken from four real SHARP records
(``sunpy_jsocx.emulator.sharp.SHARP_RECORDS``). Against JSOC the same code plots the
region's real values.
"""

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
# HARP 4864 (NOAA 12232) over five days, one record an hour; what each keyword
# means and its unit come from the series description.

client = sunpy_jsocx.JSOCXClient()
keys = ["USFLUX", "TOTUSJH", "MEANGAM"]
res = client.search(a.Time("2014-11-28T00:00:00", "2014-12-03T00:00:00"),
                    a.jsocx.Series("hmi.sharp_cea_720s"),
                    a.jsocx.PrimeKey("HARPNUM", 4864), a.jsocx.Sample(1 * u.h),
                    keys=[*keys, "NOAA_AR", "QUALITY"])
print(res[:5])
info = client.keywords("hmi.sharp_cea_720s")
info = {row["name"]: row for row in info}
for k in keys:
    print(f"{k}: {info[k]['note']} [{info[k]['units']}]")

###############################################################################
# One panel a keyword; records whose ``QUALITY`` is not 0 are marked.

flagged = res["QUALITY"] != 0
times = res["T_REC"].datetime
fig, axes = plt.subplots(len(keys), 1, sharex=True, figsize=(8, 6))
for ax, k in zip(axes, keys, strict=True):
    ax.plot(times, res[k], lw=1)
    ax.plot(times[flagged], res[k][flagged], "rx", label="QUALITY != 0")
    ax.set_ylabel(f"{k}\n[{info[k]['units']}]")
axes[0].legend(loc="upper right")
axes[0].set_title(f"hmi.sharp_cea_720s, HARP 4864 (NOAA {res['NOAA_AR'][0]})")
fig.autofmt_xdate()
plt.show()

###############################################################################
# Stop sending requests to the emulator, and stop it.

server.restore()
emu.stop()
