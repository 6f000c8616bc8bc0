#!/usr/bin/env python3
"""check_events.py: every kind of event the code records has its Russian sentence.

Scans src/ for the places an event is written (okno_store_event_add(..., "kind", ...),
the event()/event_by() helpers of ops.c, register.c and spam.c, `kind = "..."` of the
outbound queue and the scheduler) and fails, naming the file and the kind, when a kind
is missing from okno_event_kinds[] in src/appeal/history.c (history.h): a new event
type must come with its sentence (test `event_sentences`).
  check_events.py SRC_DIR
  check_events.py --self-test"""
import pathlib
import re
import sys

PATTERNS = [
    re.compile(r'okno_store_event_add\([^;]*?,[^;]*?,\s*(?:[a-z_]+\s*\?\s*)?"([a-z_]+)"(?:\s*:\s*"([a-z_]+)")?', re.S),
    re.compile(r'\bevent(?:_by)?\(\s*(?:st|s->store)\s*,\s*[^,;]+,\s*(?:error\s*,\s*)?'
               r'(?:[a-z_.>-]+\s*\?\s*)?"([a-z_]+)"(?:\s*:\s*"([a-z_]+)")?', re.S),
    re.compile(r'\bkind\s*=\s*"([a-z_]+)"()'),
]


def recorded(src: pathlib.Path):
    found = {}
    for path in sorted(src.rglob('*.c')):
        if path.name == 'history.c':
            continue
        text = re.sub(r'/\*.*?\*/', ' ', path.read_text(encoding='utf-8'), flags=re.S)
        for pat in PATTERNS:
            for m in pat.finditer(text):
                for kind in m.groups():
                    if kind:
                        found.setdefault(kind, str(path.relative_to(src)))
    return found


def known(history: pathlib.Path):
    text = history.read_text(encoding='utf-8')
    block = text.split('okno_event_kinds[] = {', 1)[1].split('};', 1)[0]
    return set(re.findall(r'"([a-z_]+)"', block))


def check(src: pathlib.Path) -> int:
    kinds = known(src / 'appeal' / 'history.c')
    found = recorded(src)
    bad = 0
    for kind, where in sorted(found.items()):
        if kind not in kinds:
            print(f'{where}: event kind "{kind}" has no sentence in okno_event_kinds[] '
                  '(src/appeal/history.c)')
            bad += 1
    if len(found) < 30:
        print(f'only {len(found)} kinds found: the patterns of check_events.py no longer '
              'match the code')
        bad += 1
    print(f'{len(found)} kinds recorded, {len(kinds)} with sentences, {bad} problems')
    return 1 if bad else 0


def self_test() -> int:
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d)
        (root / 'appeal').mkdir()
        (root / 'appeal' / 'history.c').write_text(
            'const char *const okno_event_kinds[] = {"known", NULL};\n')
        (root / 'x.c').write_text(
            'void f(void) { okno_store_event_add(st, a->id, "known", d, error);\n'
            ' event(st, a->id, error, up ? "brand_new" : "known", NULL); }\n')
        found = recorded(root)
        kinds = known(root / 'appeal' / 'history.c')
        missing = set(found) - kinds
        if missing != {'brand_new'}:
            print(f'self-test: expected brand_new missing, got {missing}')
            return 1
    print('self-test ok')
    return 0


if __name__ == '__main__':
    if sys.argv[1:] == ['--self-test']:
        sys.exit(self_test())
    sys.exit(check(pathlib.Path(sys.argv[1])))
