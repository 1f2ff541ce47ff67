#!/usr/bin/env python3
"""Writes a zip whose bytes depend only on its entries' names, contents and modes.

    deterministic-zip.py OUT.zip NAME=PATH[:MODE] ...

Entries are stored in the order given, each with the same fixed timestamp, Unix mode MODE
(octal, default 644), no extra fields and deflate level 9: the same inputs give the same
zip hash on any machine, in any time zone, at any time.
"""
import os
import sys
import zipfile

FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: deterministic-zip.py OUT.zip NAME=PATH[:MODE] ...")
    out, specs = argv[1], argv[2:]
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z:
        for spec in specs:
            name, _, rest = spec.partition("=")
            path, _, mode = rest.partition(":")
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (0o100000 | int(mode or "644", 8)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
