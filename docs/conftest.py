# sphinx-gallery copies each example script (and writes its page) into docs/generated/ at
# build time; the scripts are not doctests, and importing one would run it. conf.py sets
# build-time environment (a fresh record cache, the Agg backend) that must not leak into a
# test session, and _ext/ holds Sphinx helpers: neither has doctests.
collect_ignore = ["conf.py"]
collect_ignore_glob = ["generated/*", "sg_execution_times.rst", "_ext/*"]
