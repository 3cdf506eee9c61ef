"""The list of generated files, asked for by the build system at configure time.

It must work even for a broken catalogue (the build step then reports the errors), so it reads only the
group names and sizes, leniently."""
import re

from .layout import chunk_names

# The longest compiles first (the build starts them in this order). At 32,983 subsystems (gcc -O3 / clang -O2,
# CPU s): the schedule 2.5 / 2.3, the data of anima_gen_meta.c 1.8 / 1.4, the --describe texts 1.2 / -, the
# runs' constants 1.1 / 0.6, the shared step functions 0.4 / 0.2.
FIXED = ["anima_gen.h", "anima_gen_schedule.c", "anima_gen_meta.c", "anima_gen_describe.c", "anima_gen_runs.c",
         "anima_gen_shapes.c", "anima_gen_tables.c"]


def outputs_of(cat):
    """The files render writes for this catalogue (`render --list`, which the build system runs at configure)."""
    return FIXED + chunk_names([(g.name, len(g.subsystems)) for g in cat.groups])


def list_outputs(path):
    try:
        import yaml
        from .yamlsrc import too_deep
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        if too_deep(text, loader) is not None:  # PyYAML's composer would crash: the render step says where
            raise ValueError("too deep")
        data = yaml.load(text, Loader=loader)
        sizes = []
        for g in data.get("groups") or []:
            name = g.get("name")
            if isinstance(name, str) and re.match(r"^[a-z][a-z0-9_]*$", name):
                subs = g.get("subsystems")
                sizes.append((name, len(subs) if isinstance(subs, list) else 0))
        seen = set()
        sizes = [(n, s) for n, s in sizes if not (n in seen or seen.add(n))]
    except Exception:  # a broken catalogue: the render step will say what is wrong
        sizes = []
    return FIXED + chunk_names(sizes)
