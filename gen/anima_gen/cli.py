"""Command line of anima-gen: check, render, docs, run, synth, functions (and outputs, for the build system)."""
import argparse
import gc
import sys

from .diag import Diagnostics, Fatal
from .version import version
from . import yamlsrc


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("anima-gen: error: %s (see anima-gen --help)\n" % message)
        sys.exit(2)


def load_catalogue(path):
    """Returns (catalogue or None, diagnostics)."""
    from .model import Builder
    diag = Diagnostics(path)
    try:
        src, tree = yamlsrc.load(path, diag)
        cat = Builder(src, diag).build(tree)
    except Fatal:
        cat = None
    except RecursionError:
        diag.error(None, "catalogue nested too deeply")
        cat = None
    return (None if diag.errors else cat), diag


def report(diag, quiet_warnings=False):
    for line in diag.lines():
        if quiet_warnings and ": warning: " in line:
            continue
        sys.stderr.write(line + "\n")


def main(argv):
    # The generator is a short-lived process that builds hundreds of thousands of small objects (the YAML tree,
    # the model, expression nodes) and keeps them to the end: the cyclic collector would traverse them again and
    # again for nothing (it took more than half the CPU time of a 2,000-subsystem catalogue).
    gc.disable()
    ap = _Parser(prog="anima-gen", description="Validate an Anima catalogue and render it.")
    ap.add_argument("--version", action="version", version="anima-gen %s" % version())
    sub = ap.add_subparsers(dest="cmd", parser_class=_Parser)
    p = sub.add_parser("check", help="validate only")
    p.add_argument("catalogue")
    p.add_argument("--no-warnings", action="store_true")
    p = sub.add_parser("render", help="write the generated C sources")
    p.add_argument("catalogue")
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--stamp", help="touch this file after a successful render")
    p.add_argument("--list", action="store_true", help="print the names of the generated files (for the build system)")
    p.add_argument("--no-warnings", action="store_true")
    p = sub.add_parser("docs", help="write the reference (Markdown) and the coupling graph (SVG)")
    p.add_argument("catalogue")
    p.add_argument("-o", dest="out", required=True)
    p = sub.add_parser("synth", help="write a synthetic catalogue of N subsystems")
    p.add_argument("n", type=int)
    p.add_argument("-o", dest="out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("run", help="run the catalogue in the reference interpreter (anima-sim's options)")
    p.add_argument("catalogue")
    p.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("functions", help="the table of built-in functions (Markdown), as docs/catalogue.md shows it")
    p = sub.add_parser("outputs", help="list the files render would write (for the build system)")
    p.add_argument("catalogue")
    args = ap.parse_args(argv)
    if args.cmd is None:
        ap.print_help(sys.stderr)
        return 2
    if args.cmd == "outputs":
        from .outputs import list_outputs
        for name in list_outputs(args.catalogue):
            print(name)
        return 0
    if args.cmd == "functions":
        from .builtins import doc_table
        print(doc_table())
        return 0
    if args.cmd == "synth":
        from .synth import synth
        if not 1 <= args.n <= 100000:
            sys.stderr.write("anima-gen: error: synth N must be 1..100000, given %d\n" % args.n)
            return 2
        try:
            synth(args.n, args.out, args.seed)
        except OSError as e:
            sys.stderr.write("anima-gen: error: %s: %s\n" % (args.out, e.strerror or e))
            return 1
        return 0
    cat, diag = load_catalogue(args.catalogue)
    report(diag, getattr(args, "no_warnings", False))
    if cat is None:
        return 1
    try:
        if args.cmd == "render":
            from .render import render
            render(cat, args.out, args.catalogue)
            if args.list:
                from .outputs import outputs_of
                print("\n".join(outputs_of(cat)))
            if args.stamp:
                with open(args.stamp, "w") as f:
                    f.write("%016x\n" % cat.hash)
        elif args.cmd == "run":
            from .interp import main as run_main
            return run_main(cat, args.args)
        elif args.cmd == "docs":
            from .docs import write_docs
            write_docs(cat, args.out, args.catalogue)
    except OSError as e:
        sys.stderr.write("anima-gen: error: %s: %s\n" % (e.filename or args.out, e.strerror or e))
        return 1
    return 0
