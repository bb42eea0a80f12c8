"""Where `meson install` puts the package: a directory under the prefix that
this interpreter searches. Run by Meson at configure time with the
interpreter the package is built for: python3 install_dir.py PREFIX.

Meson's own guess (py.get_install_dir()) follows Debian's distutils scheme,
which for the prefix /usr/local gives /usr/local/lib/python3/dist-packages,
a directory Debian's python3 does not search (mesonbuild/meson#8739). So
the interpreter is asked: each of its sysconfig schemes gives a purelib
directory for PREFIX, and the first of them on its search path (sys.path,
then the site directories it adds once they exist) wins; else any
directory of its search path under PREFIX/lib. Prints the directory,
a tab, and "searched" or "not-searched" (no directory under PREFIX is
searched: the install works, but the interpreter needs PYTHONPATH).
"""

import os
import site
import sys
import sysconfig


def candidates(prefix):
    schemes = ["deb_system", "posix_prefix", "venv"]  # the first where it exists
    if hasattr(sysconfig, "get_default_scheme"):
        schemes.append(sysconfig.get_default_scheme())
    names = sysconfig.get_scheme_names()
    variables = {"base": prefix, "platbase": prefix, "installed_base": prefix,
                 "installed_platbase": prefix}
    found = []
    for scheme in schemes:
        if scheme in names:
            found.append(sysconfig.get_path("purelib", scheme, vars=variables))
    found.append(sysconfig.get_path("purelib"))  # the interpreter's own, whatever its prefix
    return found


def searched():
    """The interpreter's search path, then the site directories it would
    add once they exist (Debian's site adds dist-packages under each prefix)."""
    paths = [os.path.realpath(p) for p in sys.path if p]
    try:
        more = site.getsitepackages()
    except AttributeError:  # an old virtualenv's site module
        more = []
    return paths, [os.path.realpath(p) for p in more]


def under(path, prefix):
    return os.path.realpath(path).startswith(os.path.realpath(prefix).rstrip("/") + "/")


def main():
    prefix = sys.argv[1]
    path_now, site_dirs = searched()
    for search in (path_now, site_dirs):
        for path in candidates(prefix):
            if under(path, prefix) and os.path.realpath(path) in search:
                return path, "searched"
    # A directory the interpreter searches, under PREFIX/lib, whatever scheme made it.
    lib = os.path.join(prefix, "lib")
    for path in path_now + site_dirs:
        if under(path, lib) and os.path.basename(path) in ("site-packages", "dist-packages"):
            return path, "searched"
    # None: the posix_prefix layout, where PYTHONPATH must point.
    variables = {"base": prefix, "platbase": prefix}
    return sysconfig.get_path("purelib", "posix_prefix", vars=variables), "not-searched"


if __name__ == "__main__":
    directory, state = main()
    print(f"{directory}\t{state}")
