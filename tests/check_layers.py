#!/usr/bin/env python3
"""check_layers.py: the layers of src/, as its #include lines state them.

    check_layers.py SRC_DIR LAYER...   the folders of SRC_DIR, bottom to top
    check_layers.py --self-test        this checker, on small made-up trees

src/meson.build passes the layers in the order it builds them, so the order is written
once. The rules (docs/DESIGN.md, "Layers"):
  - a file in SRC_DIR/FOLDER/ may include the headers of its own folder and of the
    folders below it ("folder/name.h"), and the generated "okno-build.h";
  - the files directly in SRC_DIR (the programs: okno.c, layer.c) may include any layer;
  - every folder of SRC_DIR is a layer, and every "folder/name.h" names one;
  - a pure layer (appeal: the domain) does no I/O: it includes no header that reads,
    writes or logs (<stdio.h>, <unistd.h>, <fcntl.h>, <sys/...>, <gio/...>,
    <glib/gstdio.h>, "core/log.h", "okno-build.h", which names data files).
Each breach is one line FILE:LINE: what is wrong; the exit status is then 1. The link
of each layer with only those below it (src/meson.build) catches upward calls; this
catches upward includes, which a link cannot see (types, macros, inline functions).
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
PURE = {'appeal'}
PURE_FORBIDDEN = ('stdio.h', 'unistd.h', 'fcntl.h', 'sys/', 'gio/', 'glib/gstdio.h',
                  'core/log.h', 'okno-build.h')


def breaches(src, layers):
    """The breaches in the tree `src`, as 'path:line: message' strings (path relative
    to the parent of `src`, as a reader finds it: src/appeal/sla.c)."""
    rank = {name: i for i, name in enumerate(layers)}
    out = []
    top = os.path.basename(os.path.normpath(src))
    for folder in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, folder)) and folder not in rank:
            out.append(f'{top}/{folder}: a folder that is no layer (add it to the layers in '
                       f'src/meson.build, in its place)')
    for dirpath, _, names in sorted(os.walk(src)):
        rel = os.path.relpath(dirpath, src)
        folder = None if rel == '.' else rel.split(os.sep)[0]
        for name in sorted(names):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, name)
            shown = os.path.join(top, os.path.relpath(path, src))
            with open(path, encoding='utf-8', errors='replace') as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    quoted, header = m.group(1) == '"', m.group(2)
                    where = f'{shown}:{lineno}: '
                    if folder in PURE and any(header.startswith(p) or header == p
                                              for p in PURE_FORBIDDEN):
                        out.append(where + f'{folder}/ is pure (no I/O) but includes '
                                   f'{m.group(1)}{header}{">" if not quoted else chr(34)}')
                    if not quoted or '/' not in header:
                        continue
                    target = header.split('/')[0]
                    if target not in rank:
                        out.append(where + f'includes "{header}" from {target}/, which is no layer')
                    elif folder in rank and rank[target] > rank[folder]:
                        out.append(where + f'{folder}/ includes "{header}" from {target}/, a '
                                   f'layer above it')
    return out


def self_test():
    """The checker on made-up trees: a clean one passes; each kind of breach is found,
    with its file and line."""
    layers = ['core', 'appeal', 'store', 'ops']

    def tree(files):
        root = tempfile.mkdtemp(prefix='okno-layers-')
        src = os.path.join(root, 'src')
        for rel, text in files.items():
            path = os.path.join(src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)
        return src

    clean = {
        'okno.c': '#include "ops/ops.h"\n',
        'core/log.h': '#pragma once\n#include <stdio.h>\n',
        'appeal/sla.h': '#pragma once\n#include <glib.h>\n#include "core/error.h"\n',
        'store/store.h': '#pragma once\n#include "appeal/sla.h"\n#include "store/db.h"\n',
        'ops/ops.c': '#include "ops/ops.h"\n#include "okno-build.h"\n#include "store/store.h"\n',
    }
    assert breaches(tree(clean), layers) == [], breaches(tree(clean), layers)

    upward = dict(clean)
    upward['store/store.h'] = ('#pragma once\n#include "appeal/sla.h"\n\n'
                               '#include "ops/ops.h" /* upward */\n')
    got = breaches(tree(upward), layers)
    assert got == ['src/store/store.h:4: store/ includes "ops/ops.h" from ops/, a layer above '
                   'it'], got

    impure = dict(clean)
    impure['appeal/calendar.c'] = ('#include "appeal/calendar.h"\n#include <stdio.h>\n'
                                   '#include "core/log.h"\n#include "store/store.h"\n')
    got = breaches(tree(impure), layers)
    assert got == ['src/appeal/calendar.c:2: appeal/ is pure (no I/O) but includes <stdio.h>',
                   'src/appeal/calendar.c:3: appeal/ is pure (no I/O) but includes "core/log.h"',
                   'src/appeal/calendar.c:4: appeal/ includes "store/store.h" from store/, a '
                   'layer above it'], got

    stray = dict(clean)
    stray['util/x.c'] = '#include "core/log.h"\n'
    stray['core/error.c'] = '#include "misc/y.h"\n'
    got = breaches(tree(stray), layers)
    assert got == ['src/util: a folder that is no layer (add it to the layers in '
                   'src/meson.build, in its place)',
                   'src/core/error.c:1: includes "misc/y.h" from misc/, which is no layer'], got
    print('check_layers self-test: a clean tree passes; an upward include, an impure include '
          'in appeal/, a stray folder and an unknown folder are each found with file and line')
    return 0


def main(argv):
    if argv[1:] == ['--self-test']:
        return self_test()
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, layers = argv[1], argv[2:]
    found = breaches(src, layers)
    for b in found:
        print(b)
    print(f'layers, bottom to top: {" < ".join(layers)}: '
          f'{len(found) if found else "no"} breach{"es" if len(found) != 1 else ""}')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
