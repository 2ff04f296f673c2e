#!/usr/bin/env bash
# Make sure the project's virtual environment `.venv` exists, was made from
# the interpreter asked for ($PYTHON, default python3), and has pip.  The
# README's commands (scripts/test.sh, scripts/demo.sh) install into it and run
# from it, so they never touch the system's packages: on Debian and Ubuntu the
# system python3 is "externally managed" (PEP 668) and refuses `pip install`.
#
# How the environment is made, first that works:
#   1. `$PYTHON -m venv .venv`;
#   2. when that fails because the system python lacks its venv module (Debian
#      splits it into python3.X-venv) and we are root or have password-less
#      sudo: apt-get installs python3.X-venv, then 1. again;
#   3. virtualenv: `$PYTHON -m virtualenv` if installed, else virtualenv from
#      PyPI installed with pip into a temporary directory (`pip install
#      --target` is allowed on an externally managed Python: it does not
#      install into it);
#   4. otherwise one clear message saying what to install, and exit 1.
#
# An existing .venv is kept when it was made from the same interpreter (same
# base prefix and version) and still runs; otherwise it is made again.  The
# path of the environment's python is the only thing printed on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { echo "ensure-venv: $*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "no Python interpreter '$PYTHON' (set PYTHON=/path/to/python3.11+)"
    exit 1
fi

# Which interpreter an environment stands on: its base prefix and version.
identity() { "$1" -c 'import sys; print(sys.base_prefix, sys.version.split()[0])' 2>/dev/null; }
WANTED=$(identity "$PYTHON") || { say "'$PYTHON' does not run"; exit 1; }

usable() {
    [ -x "$VENV/bin/python" ] &&
        [ "$(identity "$VENV/bin/python")" = "$WANTED" ] &&
        "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

if usable; then
    echo "$PWD/$VENV/bin/python"
    exit 0
fi
if [ -e "$VENV" ]; then
    say "remaking $VENV for $PYTHON ($WANTED)"
    rm -rf "$VENV"
fi

with_venv() {
    # A failed `python -m venv` on Debian leaves a half-made directory behind.
    "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 && usable && return 0
    rm -rf "$VENV"
    return 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}

install_venv_package() {
    # Only the system's own python gets its venv module from the system's packages.
    command -v apt-get >/dev/null 2>&1 || return 1
    [ "$("$PYTHON" -c 'import sys; print(sys.base_prefix)')" = /usr ] || return 1
    local version packages=()
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    for package in "python$version-venv" python3-venv; do
        dpkg -s "$package" >/dev/null 2>&1 || packages+=("$package")
    done
    [ "${#packages[@]}" -gt 0 ] || return 1
    say "$PYTHON has no working venv module; installing ${packages[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >&2 ||
        { as_root apt-get update -q >&2 &&
          as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >&2; }
}

with_virtualenv() {
    if "$PYTHON" -m virtualenv --version >/dev/null 2>&1; then
        "$PYTHON" -m virtualenv --quiet "$VENV" >&2 && usable && return 0
        rm -rf "$VENV"
        return 1
    fi
    "$PYTHON" -m pip --version >/dev/null 2>&1 || return 1
    local scratch
    scratch=$(mktemp -d)
    say "making $VENV with virtualenv from PyPI (installed in $scratch only)"
    if "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$scratch" virtualenv >&2 &&
        PYTHONPATH=$scratch "$PYTHON" -m virtualenv --quiet "$VENV" >&2 && usable; then
        rm -rf "$scratch"
        return 0
    fi
    rm -rf "$scratch" "$VENV"
    return 1
}

if with_venv || { install_venv_package && with_venv; } || with_virtualenv; then
    echo "$PWD/$VENV/bin/python"
    exit 0
fi

say "cannot make a virtual environment with $PYTHON ($WANTED)."
say "Install its venv module (Debian/Ubuntu: apt-get install python3-venv) or virtualenv,"
say "or point PYTHON at another Python 3.11+ (PYTHON=/path/to/python3 bash scripts/test.sh)."
exit 1
