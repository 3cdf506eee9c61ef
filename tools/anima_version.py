"""anima_version: the --version line of the tools, with the project's version as anima-gen reads it
(gen/anima_gen/version.py: CMakeLists.txt's `project(anima VERSION ...)`, which anima-sim prints too)."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def version():
    # loaded by path: the package's __init__ would need what the tools do not (PyYAML, Jinja2)
    spec = importlib.util.spec_from_file_location("anima_gen_version", os.path.join(ROOT, "gen", "anima_gen",
                                                                                     "version.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.version()


def version_line(prog):
    return "%s %s" % (prog, version())


if __name__ == "__main__":  # `anima_version.py PROG`: the --version line of a shell tool
    import sys
    print(version_line(sys.argv[1] if len(sys.argv) > 1 else "anima"))
