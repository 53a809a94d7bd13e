#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""near_copies.py [--threshold T] [--target T]... [--copy-to DIR] - which
committed fuzz seeds are near-copies of a zoo witness.

A seed counts as a near-copy when the similarity of its op stream to any
zoo witness (corpus/zoo/*.ops) reaches the threshold (default 0.5).  Both
streams are normalised first: comments, blank lines, the 'hvo-ops' header
and every 'expect'/'expect-fail' line dropped, whitespace collapsed, and
every number replaced by N (so a seed that is a witness with other pfns or
counts is still a copy).  Similarity is difflib's ratio of the two line
sequences (2 * matching lines / total lines).

Only seeds with a text form (NAME.ops beside NAME.bin: fuzz_ops, fuzz_dax,
fuzz_diff) can be compared; fuzz_boot and fuzz_sched seeds are binary
layouts/schedules without one and are kept, reported as 'no text'.

Prints one line per seed: target, seed, best similarity, closest witness,
verdict.  --copy-to DIR writes DIR/TARGET/*.bin without the near-copies
(a corpus for tools that want the seeds minus the witnesses).
Exit: 0 done, 2 usage/I-O error.
"""
import argparse
import difflib
import os
import re
import shutil
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ['fuzz_ops', 'fuzz_dax', 'fuzz_diff', 'fuzz_boot', 'fuzz_sched']


def normalise(text):
    out = []
    for ln in text.splitlines():
        ln = ln.split('#', 1)[0].strip()
        if not ln or ln.startswith(('hvo-ops', 'expect')):
            continue
        ln = re.sub(r'\b(0x[0-9a-fA-F]+|\d+)\b', 'N', ' '.join(ln.split()))
        out.append(ln)
    return out


def witnesses():
    d = os.path.join(TOP, 'corpus', 'zoo')
    return {n[:-4]: normalise(open(os.path.join(d, n)).read()) for n in sorted(os.listdir(d)) if n.endswith('.ops')}


def classify(target, wits, threshold):
    """[(seed file, best ratio or None, witness, near)] for one target."""
    d = os.path.join(TOP, 'corpus', target)
    rows = []
    for n in sorted(os.listdir(d)):
        if not n.endswith('.bin'):
            continue
        txt = os.path.join(d, n[:-4] + '.ops')
        if not os.path.exists(txt):
            rows.append((n, None, '', False))
            continue
        s = normalise(open(txt).read())
        best, who = 0.0, ''
        for w, wl in wits.items():
            r = difflib.SequenceMatcher(None, s, wl, autojunk=False).ratio()
            if r > best:
                best, who = r, w
        rows.append((n, best, who, best >= threshold))
    return rows


def main(argv):
    ap = argparse.ArgumentParser(prog='near_copies.py', description=__doc__.split('\n\n')[0])
    ap.add_argument('--threshold', type=float, default=0.5)
    ap.add_argument('--target', action='append', choices=TARGETS)
    ap.add_argument('--copy-to', metavar='DIR')
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    try:
        wits = witnesses()
        for t in a.target or TARGETS:
            rows = classify(t, wits, a.threshold)
            if a.copy_to:
                dst = os.path.join(a.copy_to, t)
                os.makedirs(dst, exist_ok=True)
                for n, _, _, near in rows:
                    if not near:
                        shutil.copy(os.path.join(TOP, 'corpus', t, n), dst)
            for n, r, w, near in rows:
                print('%s\t%s\t%s\t%s\t%s' % (t, n, 'no text' if r is None else '%.2f' % r, w,
                                              'near-copy' if near else 'kept'))
    except OSError as e:
        print('near_copies: %s' % e, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
