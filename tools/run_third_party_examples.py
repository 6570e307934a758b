"""
Run drms's, sunpy's and aiapy's example scripts against the JSOC emulator.

Usage::

    python tools/run_third_party_examples.py --drms /work/.mirror/sunpy+drms/repo \\
        --sunpy /work/.mirror/sunpy+sunpy/repo --aiapy /work/.mirror/LM-SAL+aiapy/repo \\
        --figures docs/_static/third-party/raw

Each path is a checkout or a bare git directory (its ``HEAD`` is unpacked into a
temporary folder with ``git archive``). The emulator is started from its command line,
``python -m sunpy_jsocx.emulator --port 0`` (its first line of standard output is its
URL), and every example runs in its own process, unchanged except for:

- the server: a ``sitecustomize`` module on ``PYTHONPATH`` points drms's ``"jsoc"``
  entry at the emulator (as `sunpy_jsocx.emulator.redirect_drms` does), so
  ``drms.Client()`` and sunpy's ``JSOCClient`` talk to it; scripts that hard-code
  ``http://jsoc.stanford.edu`` in a string literal run from a temporary copy where
  that prefix is replaced by the emulator's URL; and a URL that a *library* builds
  with JSOC's host (``http://`` or ``https://jsoc.stanford.edu/...``, such as aiapy's
  ``fits.getdata("http://jsoc.stanford.edu" + path)`` of a spikes file) is rewritten to
  the emulator's URL when it is opened through ``urllib.request`` (``urlopen`` and
  astropy's ``download_file`` both open URLs there). Only that host is rewritten;
- the sample-data server: aiapy's examples read ``aiapy.data.sample`` files, which aiapy
  downloads from GitHub or data.sunpy.org unless the file is already in
  ``SUNPY_SAMPLEDIR``. Before such a script runs, the runner fills a folder of its own
  with the files the script names, each the emulator's JSOC ``fits`` export of the
  record its name names (`AIAPY_SAMPLE_RECORDS`), fetched through the emulator's export
  API from the same emulator the script then runs on, and points ``SUNPY_SAMPLEDIR``
  at it;
- the e-mail address, ``JSOC_EMAIL=user@example.org`` (registered in the emulator);
- the plotting backend, ``MPLBACKEND=agg``; with ``--figures DIR`` the same
  ``sitecustomize`` makes ``plt.show()`` save the open figures as
  ``DIR/<project>-<script>-<n>.png`` (and closes them, as a blocking show would).

The examples use the installed drms and sunpy; a project whose package is not
installed (aiapy here) runs with its source tree first on ``PYTHONPATH``. Nothing of
the third-party code is copied into this repository: it runs from the checkout or
from a temporary unpacked copy that is deleted at the end.

The output is a table: script, whether it ran to the end, and the first error line
(the exception line of the traceback, or the timeout).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

#: The JSOC base URL that scripts may hard-code in string literals.
JSOC_URL = "http://jsoc.stanford.edu"
#: The e-mail address the scripts export with (registered in the emulator by default).
EMAIL = "user@example.org"
#: Which example scripts belong to each project: (folder, selection rule).
PROJECTS = {
    "drms": ("examples", "all"),
    # sunpy's gallery: only the examples that talk to the JSOC.
    "sunpy": ("examples", "jsoc"),
    "aiapy": ("examples", "all"),
}

SITECUSTOMIZE = textwrap.dedent('''
    """Written by sunpy-jsocx's tools/run_third_party_examples.py for one example run."""
    import os
    import sys

    _url = os.environ.get("JSOCX_EMULATOR_URL")
    if _url:
        from sunpy_jsocx.emulator.redirect import redirect_drms

        _redirect = redirect_drms(_url)
        _redirect.__enter__()

        # URLs that libraries build with JSOC's host go to the emulator too.
        import urllib.request

        _open = urllib.request.OpenerDirector.open

        def _to_emulator(u):
            for prefix in ("http://jsoc.stanford.edu", "https://jsoc.stanford.edu"):
                if u == prefix or u.startswith((prefix + "/", prefix + "?")):
                    return _url.rstrip("/") + u[len(prefix):]
            return u

        def _open_on_emulator(self, fullurl, *args, **kwargs):
            if isinstance(fullurl, str):
                fullurl = _to_emulator(fullurl)
            elif _to_emulator(fullurl.full_url) != fullurl.full_url:
                fullurl.full_url = _to_emulator(fullurl.full_url)
            return _open(self, fullurl, *args, **kwargs)

        urllib.request.OpenerDirector.open = _open_on_emulator

    _figures = os.environ.get("JSOCX_FIGURES")
    if _figures:
        import importlib.abc
        import importlib.util

        _count = [0]

        def _save_open_figures(plt):
            stem = os.environ.get("JSOCX_FIGURE_STEM", "figure")
            dpi = float(os.environ.get("JSOCX_FIGURE_DPI", "72"))
            for num in plt.get_fignums():
                _count[0] += 1
                fig = plt.figure(num)
                fig.savefig(os.path.join(_figures, f"{stem}-{_count[0]}.png"), dpi=dpi)
            plt.close("all")

        def _patch(plt):
            def show(*args, **kwargs):
                _save_open_figures(plt)
            plt.show = show

        class _AfterPyplot(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name != "matplotlib.pyplot":
                    return None
                sys.meta_path.remove(self)
                spec = importlib.util.find_spec(name)
                run = spec.loader.exec_module

                def exec_module(module):
                    run(module)
                    _patch(module)

                spec.loader.exec_module = exec_module
                return spec

        sys.meta_path.insert(0, _AfterPyplot())
''')


@dataclass
class Result:
    """The outcome of one example script."""

    project: str
    script: str
    ran_to_end: bool
    first_error: str
    seconds: float


def unpack(source: Path, workdir: Path, name: str) -> Path:
    """
    A directory tree of ``source``: the checkout itself, or its bare git directory's ``HEAD``.

    Parameters
    ----------
    source
        A checkout (a folder with the project's files) or a bare git directory.
    workdir
        Temporary folder to unpack a bare git directory into.
    name
        The project's name (the unpacked folder's name).
    """
    source = source.resolve()
    if not source.is_dir():
        raise ValueError(f"{name}: {source} is not a directory; give a checkout or a bare git directory")
    bare = (source / "HEAD").is_file() and (source / "objects").is_dir()
    if not bare:
        return source
    target = workdir / name
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(source), "archive", "--format=tar", "HEAD"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def select_scripts(tree: Path, project: str) -> list[Path]:
    """The example scripts of one project, in name order."""
    folder, rule = PROJECTS[project]
    scripts = sorted(p for p in (tree / folder).rglob("*.py") if not p.name.startswith("_"))
    if rule == "jsoc":
        scripts = [p for p in scripts if "jsoc" in p.read_text(encoding="utf-8").lower()]
    return scripts


def hard_coded(text: str) -> bool:
    """Whether a script uses ``http://jsoc.stanford.edu`` in a string literal (not only in comments)."""
    return re.search(r"""(?:^|[^\w])[fFrRbB]?["']""" + re.escape(JSOC_URL), text, re.MULTILINE) is not None


def redirected_copy(script: Path, url: str, workdir: Path) -> Path:
    """A temporary copy of ``script`` whose string literals name ``url`` instead of JSOC's."""
    text = script.read_text(encoding="utf-8")
    pattern = re.compile(r"""((?:^|[^\w])[fFrRbB]?["'])""" + re.escape(JSOC_URL), re.MULTILINE)
    copy = workdir / script.name
    copy.write_text(pattern.sub(lambda m: m.group(1) + url.rstrip("/"), text), encoding="utf-8")
    return copy


def error_line(stderr: str) -> str:
    """The exception line of the last traceback in ``stderr``, else its last line."""
    lines = stderr.rstrip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("Traceback (most recent call last):"):
            after = lines[i + 1:]
            heads = [j for j, ln in enumerate(after) if ln and not ln[0].isspace()]
            if heads:
                # the exception line and the lines of its message that follow it
                line = " ".join(ln.strip() for ln in after[heads[-1]:] if ln.strip())
                logged = [ln.strip() for ln in lines[:i] if ln.startswith("ERROR:")]
                if ":" not in line and logged:  # a bare exception: say what was logged before it
                    line = f"{line} ({logged[-1]})"
                return line
    return lines[-1].strip() if lines else ""


#: Scripts that need the emulator set up as JSOC is in one respect its defaults are not (each
#: such script gets an emulator of its own, started with these options), and why.
SCRIPT_EMULATOR_OPTIONS: dict[str, tuple[list[str], str]] = {
    "aiapy examples/download_specific_data.py": (
        ["--image-size=4096"],
        "aiapy's update_pointing sets the full-resolution plate scale (0.6\"/pixel), which only "
        "JSOC's 4096-pixel AIA images have; register then needs the whole disk in the image"),
    "aiapy examples/prepping_level_1_data.py": (
        ["--image-size=4096"],
        "update_pointing and register of the 94 A sample image, as download_specific_data.py: "
        "the sample file is this emulator's export, so it has JSOC's 4096 pixels"),
    "aiapy examples/replace_hot_pixels.py": (
        ["--image-size=4096"],
        "aiapy's fetch_spikes reads the spikes segment as flat indices into a 4096x4096 full frame "
        "(aiapy/calibrate/spikes.py) and respike warns unless the plate scale is 0.6\"/pixel"),
}

#: aiapy's sample files (``_SAMPLE_DATA`` in aiapy/data/_sample.py, LM-SAL/aiapy@afc3db7) and the
#: JSOC record set whose ``fits`` export stands in for each, with the reason. Each name spells
#: an AIA level-1 EUV image, ``aia_lev1_<wavelength>a_<yyyy_mm_dd>t<hh_mm_ss_cc>z_image_lev1.fits``
#: (``image_lev1.fits`` is the stored file of the ``image`` segment of aia.lev1_euv_12s, and the
#: time, to hundredths of a second, is an observation time), so the record is that series at that
#: wavelength and time. One time in a slotted T_REC selects the slot nearest it (jsoc-api.md,
#: "Slotted time keys"): the record taken as the one the real file holds.
AIAPY_SAMPLE_RECORDS: dict[str, tuple[str, str]] = {
    "aia_lev1_94a_2019_01_01t00_00_11_12z_image_lev1.fits": (
        "aia.lev1_euv_12s[2019-01-01T00:00:11.12Z][94]{image}",
        "AIA_094_IMAGE: 94 A, observed 2019-01-01T00:00:11.12Z"),
    "aia_lev1_193a_2013_03_15t12_01_06_84z_image_lev1.fits": (
        "aia.lev1_euv_12s[2013-03-15T12:01:06.84Z][193]{image}",
        "AIA_193_IMAGE: 193 A, observed 2013-03-15T12:01:06.84Z"),
    "aia_lev1_171a_2019_01_01t00_00_09_35z_image_lev1.fits": (
        "aia.lev1_euv_12s[2019-01-01T00:00:09.35Z][171]{image}",
        "AIA_171_IMAGE: 171 A, observed 2019-01-01T00:00:09.35Z"),
}
#: aiapy's short names of its sample files (``_SAMPLE_DATA`` in aiapy/data/_sample.py).
AIAPY_SAMPLE_NAMES = {
    "AIA_094_IMAGE": "aia_lev1_94a_2019_01_01t00_00_11_12z_image_lev1.fits",
    "AIA_193_IMAGE": "aia_lev1_193a_2013_03_15t12_01_06_84z_image_lev1.fits",
    "AIA_171_IMAGE": "aia_lev1_171a_2019_01_01t00_00_09_35z_image_lev1.fits",
}


def sample_files_needed(text: str) -> list[str]:
    """
    The aiapy sample files a script reads: those it names by short name, all if it names none.

    Parameters
    ----------
    text
        The script's source. A script that does not import ``aiapy.data.sample`` needs none.
    """
    if "aiapy.data.sample" not in text:
        return []
    named = [f for short, f in AIAPY_SAMPLE_NAMES.items() if re.search(rf"\b{short}\b", text)]
    return named or list(AIAPY_SAMPLE_NAMES.values())


def fill_sample_data(url: str, folder: Path, names: list[str], *, email: str = EMAIL) -> list[Path]:
    """
    Put each named aiapy sample file into ``folder``: the emulator's ``fits`` export of its record.

    The record set of each name is `AIAPY_SAMPLE_RECORDS`; the export goes through the emulator's
    export API with drms (``jsoc_fetch`` op ``exp_request``, method ``url``, protocol ``fits``), as
    a user exports from JSOC, and the file drms downloads is renamed to the sample's name.

    Parameters
    ----------
    url
        The emulator's base URL.
    folder
        The sample-data folder (a script's ``SUNPY_SAMPLEDIR``); created if missing.
    names
        Sample file names, keys of `AIAPY_SAMPLE_RECORDS`.
    email
        A registered e-mail address.

    Returns
    -------
    list of pathlib.Path
        The files, in the order of ``names``.

    Raises
    ------
    ValueError
        For a name that is not one of aiapy's sample files.
    RuntimeError
        If an export does not give exactly one file.
    """
    import drms

    from sunpy_jsocx.emulator.redirect import drms_server_config

    unknown = [n for n in names if n not in AIAPY_SAMPLE_RECORDS]
    if unknown:
        raise ValueError(f"not an aiapy sample file: {', '.join(unknown)}; "
                         f"known: {', '.join(AIAPY_SAMPLE_RECORDS)}")
    folder.mkdir(parents=True, exist_ok=True)
    client = drms.Client(server=drms_server_config(url), email=email)
    out = []
    for name in names:
        ds = AIAPY_SAMPLE_RECORDS[name][0]
        request = client.export(ds, method="url", protocol="fits")
        request.wait(sleep=1)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            got = request.download(tmp)
            files = [Path(p) for p in got.download if isinstance(p, (str, os.PathLike))]
            if len(files) != 1:
                raise RuntimeError(f"the export of {ds} gave {len(files)} files, not one")
            target = folder / name
            files[0].replace(target)
        out.append(target)
    return out


@contextlib.contextmanager
def emulator(python: str, extra: list[str]):
    """Start ``python -m sunpy_jsocx.emulator --port 0``; yields its URL, stops it on exit."""
    proc = subprocess.Popen([python, "-m", "sunpy_jsocx.emulator", "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {url!r} {proc.stderr.read()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_script(python: str, project: str, script: Path, tree: Path, url: str, env: dict, timeout: float,
               workdir: Path) -> Result:
    """Run one example in its own process and folder; report whether it ran to the end."""
    rel = script.relative_to(tree).as_posix()
    rundir = workdir / "run" / project / script.stem
    rundir.mkdir(parents=True)
    target = redirected_copy(script, url, rundir) if hard_coded(script.read_text(encoding="utf-8")) else script
    env = dict(env, JSOCX_FIGURE_STEM=f"{project}-{script.stem}")
    start = time.monotonic()
    try:
        proc = subprocess.run([python, str(target)], cwd=rundir, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(project, rel, False, f"timeout after {timeout:g} s", time.monotonic() - start)
    seconds = time.monotonic() - start
    (workdir / "logs").mkdir(exist_ok=True)
    (workdir / "logs" / f"{project}-{script.stem}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    ok = proc.returncode == 0
    return Result(project, rel, ok, "" if ok else error_line(proc.stderr), seconds)


def table(results: list[Result], width: int = 90) -> str:
    """The results as a plain-text table."""
    name_w = max(len(f"{r.project} {r.script}") for r in results)
    rows = [f"{'script':<{name_w}}  {'to the end':<10}  first error", "-" * (name_w + 14 + width // 2)]
    for r in results:
        err = r.first_error if len(r.first_error) <= width else r.first_error[:width - 3] + "..."
        rows.append(f"{r.project + ' ' + r.script:<{name_w}}  {'yes' if r.ran_to_end else 'no':<10}  {err}")
    done = sum(r.ran_to_end for r in results)
    rows.append(f"{done} of {len(results)} scripts ran to the end")
    return "\n".join(rows)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in PROJECTS:
        p.add_argument(f"--{name}", type=Path, help=f"checkout or bare git directory of {name}")
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="run only scripts whose path contains TEXT (repeatable)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per script (default: 300)")
    p.add_argument("--figures", type=Path, help="save each script's figures as PNG into this folder")
    p.add_argument("--dpi", type=float, default=72.0, help="resolution of saved figures (default: 72)")
    p.add_argument("--python", default=sys.executable, help="Python that runs the emulator and the scripts")
    p.add_argument("--emulator-option", action="append", default=[], metavar="OPT",
                   help="extra option for the emulator's command line, e.g. --emulator-option=--seed=1")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) and print its path")
    return p


def main(argv=None) -> int:
    """Run the examples; print the table. Exit status 0 whatever the scripts did."""
    args = build_parser().parse_args(argv)
    sources = {name: getattr(args, name) for name in PROJECTS if getattr(args, name) is not None}
    if not sources:
        build_parser().error("give at least one of --drms, --sunpy, --aiapy")
    workdir = Path(tempfile.mkdtemp(prefix="jsocx-third-party-"))
    try:
        site = workdir / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        # Downloads, caches and configuration of the scripts stay in the temporary folder.
        home = workdir / "home"
        for sub in ("sunpy-config", "sunpy-data", "xdg-cache/astropy", "xdg-config/astropy"):
            (home / sub).mkdir(parents=True)
        (home / "sunpy-config" / "sunpyrc").write_text(
            f"[downloads]\ndownload_dir = {home / 'sunpy-data'}\n")
        trees = {name: unpack(path, workdir / "src", name) for name, path in sources.items()}
        pythonpath = [str(site)]
        for name, tree in trees.items():
            installed = subprocess.run([args.python, "-c", f"import {name}"], capture_output=True,
                                       check=False).returncode == 0
            if not installed:
                pythonpath.append(str(tree))
        if args.figures:
            args.figures.mkdir(parents=True, exist_ok=True)
        results = []

        def environment(url: str) -> dict:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath), JSOCX_EMULATOR_URL=url,
                       JSOC_EMAIL=EMAIL, MPLBACKEND="agg", SUNPY_CONFIGDIR=str(home / "sunpy-config"),
                       XDG_CACHE_HOME=str(home / "xdg-cache"), XDG_CONFIG_HOME=str(home / "xdg-config"),
                       JSOCX_FIGURE_DPI=str(args.dpi))
            if args.figures:
                env["JSOCX_FIGURES"] = str(args.figures.resolve())
            return env

        with emulator(args.python, args.emulator_option) as url:
            env = environment(url)
            for name, tree in trees.items():
                for script in select_scripts(tree, name):
                    rel = script.relative_to(tree).as_posix()
                    if args.only and not any(t in f"{name} {rel}" for t in args.only):
                        continue
                    own = SCRIPT_EMULATOR_OPTIONS.get(f"{name} {rel}")
                    samples = sample_files_needed(script.read_text(encoding="utf-8")) if name == "aiapy" else []
                    with contextlib.ExitStack() as stack:
                        here, here_env = url, env
                        if own is not None:
                            print(f"{name} {rel}: on an emulator of its own, {' '.join(own[0])} ({own[1]})",
                                  file=sys.stderr, flush=True)
                            here = stack.enter_context(emulator(args.python, [*args.emulator_option, *own[0]]))
                            here_env = environment(here)
                        if samples:
                            folder = workdir / "sample" / script.stem
                            print(f"{name} {rel}: sample files from the emulator's exports: {', '.join(samples)}",
                                  file=sys.stderr, flush=True)
                            fill_sample_data(here, folder, samples)
                            here_env = dict(here_env, SUNPY_SAMPLEDIR=str(folder))
                        result = run_script(args.python, name, script, tree, here, here_env, args.timeout, workdir)
                    print(f"{name} {rel}: {'yes' if result.ran_to_end else 'no'} ({result.seconds:.0f} s)"
                          f" {result.first_error}", file=sys.stderr, flush=True)
                    results.append(result)
        if results:
            print(table(results))
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    finally:
        if args.keep:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
