"""Helpers of the generator's test suite: run anima-gen, build an anima-sim for any catalogue, run both.

The generator runs with $ANIMA_PYTHON (default /usr/bin/python3), as ctest runs it. The compiler is `cc`
unless $CC names another."""
import hashlib
import os
import shlex
import subprocess
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "gen", "anima-gen")
PYTHON = os.environ.get("ANIMA_PYTHON") or "/usr/bin/python3"
CC = shlex.split(os.environ.get("CC") or "cc")
CFLAGS = ["-O1", "-std=c11", "-Wall", "-Wextra", "-Werror"]
CATALOGUES = os.path.join(ROOT, "tests", "catalogues")


def gen(*args, cwd=ROOT, timeout=300):
    """Runs anima-gen; returns the CompletedProcess (stdout and stderr as text)."""
    return subprocess.run([PYTHON, GEN] + [str(a) for a in args], cwd=cwd, capture_output=True, timeout=timeout,
                          text=True, errors="replace")


_CHECK_MANY = r"""
import io, json, sys, traceback
sys.path.insert(0, sys.argv[1])
from anima_gen.cli import main
out = []
for path in sys.argv[2:]:
    so, se = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = so, se
    try:
        rc = main(["check", path])
    except SystemExit as e:
        rc = e.code
    except BaseException:
        traceback.print_exc()
        rc = "exception"
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    out.append([path, rc, so.getvalue(), se.getvalue()])
json.dump(out, sys.stdout)
"""


def check_many(paths, cwd=ROOT):
    """`anima-gen check` on many files in one Python process (the CLI's main, minus the start-up cost):
    {path: (exit status, stdout, stderr)}."""
    r = subprocess.run([PYTHON, "-c", _CHECK_MANY, os.path.join(ROOT, "gen")] + list(paths), cwd=cwd,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError("check driver failed (%d): %s" % (r.returncode, r.stderr[-4000:]))
    import json
    return {p: (rc, so, se) for p, rc, so, se in json.loads(r.stdout)}


def render(catalogue, outdir):
    r = gen("render", catalogue, "-o", outdir, "--no-warnings")
    if r.returncode != 0 or r.stderr:
        raise AssertionError("anima-gen render %s failed (%d):\n%s%s" % (catalogue, r.returncode, r.stdout, r.stderr))
    return outdir


def compile_sim(gendir, exe, extra=()):
    """Compiles host/*.c, core/*.c and the generated C into exe, warnings as errors (extra: more flags)."""
    core, host = os.path.join(ROOT, "core"), os.path.join(ROOT, "host")
    sources = sorted(os.path.join(host, f) for f in os.listdir(host) if f.endswith(".c"))
    sources += sorted(os.path.join(core, f) for f in os.listdir(core) if f.endswith(".c"))
    sources += sorted(os.path.join(gendir, f) for f in os.listdir(gendir) if f.endswith(".c"))
    cmd = CC + sources + ["-I" + core, "-I" + gendir] + CFLAGS + list(extra) + ["-o", exe]
    r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    if r.returncode != 0:
        raise AssertionError("compiling %s failed:\n%s\n%s" % (gendir, " ".join(cmd), (r.stdout + r.stderr)[-8000:]))
    return exe


_built = {}
_lock = threading.Lock()


def build_sim(catalogue, workdir):
    """anima-sim for this catalogue, built in workdir (once per catalogue text in a test session)."""
    with open(catalogue, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    with _lock:
        if key in _built and os.path.exists(_built[key]):
            return _built[key]
    d = os.path.join(str(workdir), "sim-" + key)
    os.makedirs(d, exist_ok=True)
    gendir = render(catalogue, os.path.join(d, "gen"))
    exe = compile_sim(gendir, os.path.join(d, "anima-sim"))
    with _lock:
        _built[key] = exe
    return exe


def run_args(seed=1, ticks=86400, every=60, env="normal", stimuli=(), individual=None):
    args = ["--seed", str(seed), "--ticks", str(ticks), "--every", str(every), "--env", env]
    if individual is not None:
        args += ["--individual", str(individual)]
    for s in stimuli:
        args += ["--stimulus", s]
    return args


def sim_trace(exe, **kw):
    """The trace anima-sim writes to standard output, as a list of lines."""
    r = subprocess.run([exe, "--trace", "-", "--speed", "max"] + run_args(**kw), capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise AssertionError("anima-sim %s failed (%d): %s" % (run_args(**kw), r.returncode, r.stderr))
    return r.stdout.splitlines()


def interp_trace(catalogue, **kw):
    """The trace of the reference interpreter (anima-gen run), as a list of lines."""
    r = gen("run", catalogue, *run_args(**kw))
    if r.returncode != 0:
        raise AssertionError("anima-gen run %s %s failed (%d): %s" % (catalogue, run_args(**kw), r.returncode, r.stderr))
    return r.stdout.splitlines()


def first_difference(a, b):
    """A short description of where two traces part, for assertion messages."""
    for n, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "line %d differs:\n  anima-sim:   %s\n  interpreter: %s" % (n + 1, x, y)
    if len(a) != len(b):
        return "lengths differ: anima-sim %d lines, interpreter %d lines (last: %r / %r)" % (
            len(a), len(b), a[-1:] and a[-1], b[-1:] and b[-1])
    return "identical"
