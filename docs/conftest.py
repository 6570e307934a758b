# sphinx-gallery copies each example script (and writes its page) into docs/generated/ at
# build time; the scripts are not doctests, and importing one would run it.
collect_ignore_glob = ["generated/*", "sg_execution_times.rst"]
