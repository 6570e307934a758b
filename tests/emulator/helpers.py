"""Small HTTP helpers for talking to the emulator in tests (loopback only)."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode


def get_json(emu, path: str, **params) -> dict:
    url = emu.url + path.lstrip("/") + ("?" + urlencode(params) if params else "")
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read().decode("latin1"))


def info(emu, **params) -> dict:
    return get_json(emu, "cgi-bin/ajax/jsoc_info", **params)


def fetch(emu, **params) -> dict:
    return get_json(emu, "cgi-bin/ajax/jsoc_fetch", **params)


def rs_list(emu, ds: str, **params) -> dict:
    params.setdefault("key", "T_REC")
    return info(emu, op="rs_list", ds=ds, **params)


def values(d: dict, name: str) -> list[str]:
    for k in d.get("keywords", []):
        if k["name"] == name:
            return k["values"]
    raise KeyError(name)


def download(emu, path: str, method: str = "GET", headers=None):
    req = urllib.request.Request(emu.url + path.lstrip("/"), method=method, headers=headers or {})
    return urllib.request.urlopen(req, timeout=60)
