# SPDX-License-Identifier: GPL-2.0
"""Writing results: each file whole or not at all."""

import json
import os


def write_text_atomic(path, text):
    """The whole file or nothing: a reader never sees half of it."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path, data):
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
