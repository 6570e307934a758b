"""
``use_server`` as a plain call and as a ``with`` block (issue 8, point 11).

A plain ``use_server(url)`` used to do nothing at all (it built a generator that never
ran), so queries kept going to the real JSOC.
"""

from __future__ import annotations

import threading

import pytest

import sunpy_jsocx
from sunpy_jsocx import JSOCXClient, config
from sunpy_jsocx.config import DEFAULT_SERVER, current_server

A = "http://127.0.0.1:8001/"
B = "http://127.0.0.1:8002/"
C = "http://127.0.0.1:8003/"


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    """No JSOCX_SERVER or JSOCX_MIRROR from the environment, and no setting left behind by a test."""
    monkeypatch.delenv("JSOCX_SERVER", raising=False)
    monkeypatch.delenv("JSOCX_MIRROR", raising=False)
    yield
    leftover = list(config._settings) + list(config._mirror_settings)
    config._settings.clear()
    config._mirror_settings.clear()
    assert leftover == [], "a test left a server or mirror set"


def test_plain_call_sets_the_server_until_reset():
    setting = sunpy_jsocx.use_server(A.rstrip("/"))
    assert current_server() == A
    assert JSOCXClient().server == A
    assert setting.active and setting.url == A
    assert A in repr(setting)
    config.reset_server()
    assert current_server() == DEFAULT_SERVER
    assert not setting.active


def test_plain_call_sends_queries_to_that_server(emulator):
    emulator.reset_stats()
    setting = sunpy_jsocx.use_server(emulator.url)
    try:
        assert "aia.lev1_euv_12s" in JSOCXClient().series(r"aia\.lev1_euv.*")
    finally:
        setting.restore()
    assert emulator.stats()["requests_total"] >= 1
    assert current_server() == DEFAULT_SERVER


def test_plain_calls_replace_and_restore_in_order():
    first = sunpy_jsocx.use_server(A)
    second = sunpy_jsocx.use_server(B)
    assert current_server() == B
    second.restore()
    assert current_server() == A
    second.restore()  # twice is harmless
    assert current_server() == A
    first.restore()
    assert current_server() == DEFAULT_SERVER


def test_restore_undoes_the_plain_calls_made_after_it():
    first = sunpy_jsocx.use_server(A)
    later = sunpy_jsocx.use_server(B)
    first.restore()
    assert current_server() == DEFAULT_SERVER
    assert not later.active


def test_with_block_restores_previous_even_after_an_error(monkeypatch):
    monkeypatch.setenv("JSOCX_SERVER", "http://127.0.0.1:8999")
    with sunpy_jsocx.use_server(A) as url:
        assert url == A
        assert current_server() == A
    assert current_server() == "http://127.0.0.1:8999/"
    with pytest.raises(RuntimeError), sunpy_jsocx.use_server(B):
        raise RuntimeError("boom")
    assert current_server() == "http://127.0.0.1:8999/"


def test_nesting_blocks_and_plain_calls():
    base = sunpy_jsocx.use_server(A)
    with sunpy_jsocx.use_server(B):
        assert current_server() == B
        with sunpy_jsocx.use_server(C):
            assert current_server() == C
        assert current_server() == B
        # A plain call inside a block lasts until the block ends.
        sunpy_jsocx.use_server(C)
        assert current_server() == C
    assert current_server() == A
    # reset_server undoes plain calls only; a running block keeps its server.
    with sunpy_jsocx.use_server(B):
        sunpy_jsocx.use_server(C)
        config.reset_server()
        assert current_server() == B
    assert current_server() == DEFAULT_SERVER
    assert not base.active


def test_a_setting_can_be_entered_again():
    setting = sunpy_jsocx.use_server(A)
    with setting:
        assert current_server() == A
    assert current_server() == DEFAULT_SERVER
    with setting:
        assert current_server() == A
    assert current_server() == DEFAULT_SERVER
    assert not setting.active


def test_explicit_client_server_wins():
    with sunpy_jsocx.use_server(A):
        assert JSOCXClient(server=B).server == B


@pytest.mark.parametrize("bad", ["jsoc.stanford.edu", "ftp://x/", "http://", ""])
def test_bad_urls_are_refused_at_the_call(bad):
    with pytest.raises(ValueError, match="not a JSOC server URL"):
        sunpy_jsocx.use_server(bad)
    assert config._settings == []


def test_non_string_is_refused():
    with pytest.raises(TypeError, match="must be a string"):
        sunpy_jsocx.use_server(8080)


def test_other_threads_see_the_setting():
    seen = []
    sunpy_jsocx.use_server(A)
    t = threading.Thread(target=lambda: seen.append(current_server()))
    t.start()
    t.join()
    with sunpy_jsocx.use_server(B):
        t = threading.Thread(target=lambda: seen.append(current_server()))
        t.start()
        t.join()
    config.reset_server()
    assert seen == [A, B]


def test_interleaved_blocks_in_two_threads_restore_correctly():
    """Thread 1 enters A, thread 2 enters B, thread 1 leaves A while 2 is still in B."""
    in_a, in_b, left_a = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def one():
        with sunpy_jsocx.use_server(A):
            in_a.set()
            in_b.wait(5)
        left_a.set()

    def two():
        in_a.wait(5)
        with sunpy_jsocx.use_server(B):
            in_b.set()
            left_a.wait(5)
            seen["after A left"] = current_server()
        seen["after B left"] = current_server()

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after A left": B, "after B left": DEFAULT_SERVER}


def test_a_block_does_not_undo_another_threads_plain_call():
    inside, set_there = threading.Event(), threading.Event()

    def other():
        inside.wait(5)
        sunpy_jsocx.use_server(C)
        set_there.set()

    t = threading.Thread(target=other)
    t.start()
    with sunpy_jsocx.use_server(B):
        inside.set()
        set_there.wait(5)
        assert current_server() == C
    t.join(5)
    assert current_server() == C
    config.reset_server()


def test_mirror_settings_nest_and_are_apart_from_server_settings():
    """use_mirror works as use_server does, and undoing one never undoes the other (issue 10, point 5)."""
    assert config.current_mirror() is None
    server = sunpy_jsocx.use_server(A)
    outer = sunpy_jsocx.use_mirror("kis")
    with sunpy_jsocx.use_mirror("kis=" + B) as url:
        assert url == B and config.current_mirror().url == B
        with sunpy_jsocx.use_mirror("off"):
            assert config.current_mirror() is None
        assert config.current_mirror().url == B
    assert config.current_mirror().url == "http://drms.leibniz-kis.de/"
    config.reset_server()
    assert config.current_mirror() is outer.mirror and not server.active
    config.reset_mirror()
    assert config.current_mirror() is None and not outer.active
    with pytest.raises(ValueError, match="unknown mirror"):
        sunpy_jsocx.use_mirror("stanford")
    assert config._mirror_settings == []
