# SPDX-License-Identifier: GPL-2.0
"""Debian's python3 for the scripts that need its numpy or matplotlib.

The python3 on PATH may be another one (pyenv, a venv) without them, and
only Debian's packages can be installed here (no PyPI): such a script runs
itself again, once, with /usr/bin/python3.
"""

import importlib.util
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"


def require(module, script, guard, missing):
    """Return if `module` can be imported. Else re-exec `script` with the
    same arguments under Debian's python3, unless this already is it or the
    environment variable `guard` says it was tried; else exit with the
    message `missing`."""
    if importlib.util.find_spec(module) is not None:
        return
    if (os.environ.get(guard) != "1" and os.path.exists(SYSTEM_PYTHON)
            and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)):
        os.environ[guard] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(script)] + sys.argv[1:])
    sys.exit(missing)
