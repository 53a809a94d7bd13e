#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""summarise.py RESULTS.jsonl [EQUIVALENT] - the Markdown summary of a
./hvo mutate --out run: kills per operator and per engine, kills only one
engine made, the per-mutant time, and the survivors with their diffs.
EQUIVALENT (default mutate/equivalent.txt) holds the keys judged
equivalent by hand.  Exit: 0 done, 2 usage/I-O error."""
import json
import os
import sys

ENGINES = ['zoo', 'workload', 'unit', 'fuzz']


def main(argv):
    if len(argv) not in (1, 2) or argv[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if argv and argv[0] in ('-h', '--help') else 2
    eqf = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'equivalent.txt')
    try:
        rs = [json.loads(l) for l in open(argv[0]) if l.strip()]
        eq = {l.split('#')[0].split()[0] for l in open(eqf) if l.split('#')[0].strip()}
    except (OSError, ValueError) as e:
        print('summarise: %s' % e, file=sys.stderr)
        return 2
    stillborn = sum(1 for r in rs if r.get('stillborn'))
    rs = [r for r in rs if not r.get('planted') and not r.get('stillborn')]
    for r in rs:
        if r['result'] != 'killed' and r['key'] in eq:
            r['result'] = 'equiv'
        elif r['result'] == 'equiv' and r['key'] not in eq:
            r['result'] = 'SURVIVED'
    engines = [e for e in ENGINES if e in rs[0]['cells']] if rs else ENGINES
    n = len(rs)
    k = sum(r['result'] == 'killed' for r in rs)
    e = sum(r['result'] == 'equiv' for r in rs)
    print('Mutants judged: %d; killed %d; judged equivalent %d; survivors %d; stillborn (replaced) %d.' % (
        n, k, e, n - k - e, stillborn))
    print('Score = killed / (total - stillborn - equivalent) = %d / %d = **%.1f%%** '
          '(stillborn mutants are replaced, so they are not in the total).' % (k, n - e, 100.0 * k / max(n - e, 1)))
    secs = sorted(r['secs'] for r in rs)
    if secs:
        print('Time per mutant (build + every engine): median %.1f s, max %.1f s, total %.0f min.' % (
            secs[len(secs) // 2], secs[-1], sum(secs) / 60))
    print()
    print('| operator | mutants | killed | equivalent | survived | score |')
    print('|---|---|---|---|---|---|')
    ops = []
    for r in rs:
        if r['op'] not in ops:
            ops.append(r['op'])
    for op in ops:
        g = [r for r in rs if r['op'] == op]
        gk = sum(r['result'] == 'killed' for r in g)
        ge = sum(r['result'] == 'equiv' for r in g)
        print('| %s | %d | %d | %d | %d | %.0f%% |' % (op, len(g), gk, ge, len(g) - gk - ge,
                                                       100.0 * gk / max(len(g) - ge, 1)))
    print()
    print('| engine | kills | K verdict changed | T timeout | C crash | kills no other engine made |')
    print('|---|---|---|---|---|---|')
    for en in engines:
        ks = [r for r in rs if r['cells'][en] != '.']
        only = [r for r in ks if all(r['cells'][o] == '.' for o in engines if o != en)]
        print('| %s | %d | %d | %d | %d | %d |' % (en, len(ks), sum(r['cells'][en] == 'K' for r in ks),
                                                   sum(r['cells'][en] == 'T' for r in ks),
                                                   sum(r['cells'][en] == 'C' for r in ks), len(only)))
    print()
    print('Per file: ' + ', '.join('%s %d/%d' % (f.replace('core/src/', ''),
                                                  sum(r['result'] == 'killed' for r in rs if r['file'] == f),
                                                  sum(r['result'] != 'equiv' for r in rs if r['file'] == f))
                                   for f in sorted({r['file'] for r in rs})))
    print()
    print('Survivors (judged-equivalent ones marked):')
    print()
    for r in rs:
        if r['result'] == 'killed':
            continue
        print('- %s `%s` %s:%d key `%s`%s' % (r['id'], r['op'], r['file'], r['line'], r['key'],
                                              ' (equivalent)' if r['result'] == 'equiv' else ''))
        for d in r['diff']:
            print('  `%s`' % d.replace('`', "'"))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
