#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""minimize.py CLI FILE [--mutant NAME]... [--out FILE] - ./hvo minimize.

Shrinks a failing op stream (text, or a binary fuzz_ops input, decoded with
hvo-cli bytes2text) by delta debugging (Zeller's ddmin, then one unit at a
time until nothing more goes) over its units: each op line with the
"expect" lines that follow it, and each header line (config, node, fail
rules).  A candidate is kept only when hvo-cli explain still fails with the
same invariant at the same kind of op ("op N (KIND): I13 ..." -> (KIND,
I13)); a harness error keeps its message instead of an invariant.  With
--mutant, when the input passes without the mutants, so must the result
(a witness stays clean on the correct model).  The
structure lines (hvo-ops 1, ops) and an expect-fail line stay.
Writes FILE.min.ops (or --out) and prints one line.

A scheduler witness (hvo-sched 1) keeps its scenario and shrinks its
schedule to the fewest switches, then the fewest steps: runs of one CPU
merged into their neighbour or dropped, and the shortest prefix (past its
end the run goes on without preemption), each kept only while hvo-sched
replay --expect ID still fails with the same invariant, without diverging
(and with --mutant, while it still passes without them when the input
did).  A witness with named switches ('switches' line, sched.h) shrinks
to the fewest: one switch dropped at a time, kept only under the same
rule (a switch the run no longer reaches makes the witness stale, exit 2,
never kept).  Writes FILE.min.sched.

Exit: 0 written, 2 usage or input error, 3 the input does not fail
(nothing to minimize).
"""
import os
import re
import subprocess
import sys
import tempfile

RESULT = re.compile(r'^result: FAIL: op \d+ \(([^)]*)\): (?:(I\d+)\b.*|(.*))$', re.M)


def die(msg, rc=2):
    print(f"hvo minimize: {msg}", file=sys.stderr)
    sys.exit(rc)


def usage():
    return ("usage: ./hvo minimize FILE [--mutant NAME]... [--out FILE]\n"
            "exit: 0 minimized stream written, 2 usage/input error, 3 the input does not fail\n")


class Stream:
    """The lines of a text op stream, split into fixed lines and units."""

    def __init__(self, text):
        self.head, self.units = [], []   # head: (is_unit, text) in order
        in_ops = False
        for raw in text.splitlines():
            line = raw.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            word = line.split()[0]
            if word in ('hvo-ops', 'ops', 'expect-fail'):
                self.head.append((None, line))
                in_ops = in_ops or word == 'ops'
            elif in_ops and word == 'expect' and self.units and self.units[-1][0] == 'op':
                self.units[-1][1].append(line)   # belongs to the op before it
            else:
                self.units.append(('op' if in_ops else 'hdr', [line]))
                self.head.append((len(self.units) - 1, None))

    def render(self, keep):
        out = []
        for idx, line in self.head:
            if idx is None:
                out.append(line)
            elif idx in keep:
                out.extend(self.units[idx][1])
        return '\n'.join(out) + '\n'


class Runner:
    def __init__(self, cli, mutants):
        self.cli, self.mutants, self.runs = cli, mutants, 0
        self.tmp = tempfile.NamedTemporaryFile('w', suffix='.ops', delete=False)
        self.tmp.close()

    def signature(self, text, mutants=True):
        """(KIND, I-ID or message) of the failure, None when it passes,
        'error' when the stream is refused or the run ends otherwise."""
        self.runs += 1
        with open(self.tmp.name, 'w') as f:
            f.write(text)
        args = [self.cli, 'explain', self.tmp.name]
        for m in self.mutants if mutants else []:
            args += ['--mutant', m]
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        m = RESULT.search(p.stdout)
        if p.returncode == 1 and m:
            return (m.group(1), m.group(2) or m.group(3))
        return None if p.returncode == 0 else 'error'


def ddmin(units, fails):
    """The smallest list (1-minimal) of units for which fails() holds."""
    n = 2
    while len(units) >= 2:
        chunk = (len(units) + n - 1) // n
        parts = [units[i:i + chunk] for i in range(0, len(units), chunk)]
        done = False
        for i, part in enumerate(parts):
            if fails(part):
                units, n, done = part, 2, True
                break
        if not done:
            for i in range(len(parts)):
                rest = [u for j, p in enumerate(parts) if j != i for u in p]
                if fails(rest):
                    units, n, done = rest, max(n - 1, 2), True
                    break
        if not done:
            if n >= len(units):
                break
            n = min(len(units), 2 * n)
    # one at a time until a whole pass removes nothing
    changed = True
    while changed:
        changed = False
        for u in list(units):
            rest = [x for x in units if x != u]
            if rest and fails(rest):
                units, changed = rest, True
    return units


SCHED_FAIL = re.compile(r'\b(I\d+)\b')


def switches(d):
    return sum(1 for a, b in zip(d, d[1:]) if a != b)


class SchedReplay:
    """A scheduler witness with its schedule line (line `at`) replaced:
    line_of(x) renders candidate x; replays count in self.runs."""

    def __init__(self, sched, path, lines, at, line_of, mutants):
        self.sched, self.path, self.lines, self.at, self.line_of = sched, path, lines, at, line_of
        self.margs = [a for m in mutants for a in ('--mutant', m)]
        self.mutants = mutants
        self.runs = 0
        tmp = tempfile.NamedTemporaryFile('w', suffix='.sched', delete=False)
        tmp.close()
        self.tmp = tmp.name

    def render(self, x, expect=True):
        body = [l for i, l in enumerate(self.lines)
                if i != self.at and (expect or l.split()[:1] != ['expect-fail'])]
        body.insert(self.at if expect else len(body), self.line_of(x))
        return '\n'.join(body) + '\n'

    def replay(self, x, args, expect=True):
        self.runs += 1
        with open(self.tmp, 'w') as f:
            f.write(self.render(x, expect))
        p = subprocess.run([self.sched, 'replay'] + args + [self.tmp], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return p.returncode, p.stdout

    def judge(self, x):
        """The invariant x fails with (exit 3 when it does not fail), and a
        predicate: a candidate still fails with it with the mutants, and,
        where x passes without them, still passes without them."""
        rc, txt = self.replay(x, self.margs, expect=False)
        m = SCHED_FAIL.search(txt) if rc == 1 else None
        if not m:
            die(f"{self.path} does not fail{' with ' + ','.join(self.mutants) if self.mutants else ''}: "
                "nothing to minimize", 3)
        inv = m.group(1)
        clean = bool(self.mutants) and self.replay(x, [], expect=False)[0] == 0

        def fails(c):
            return self.replay(c, self.margs + ['--expect', inv])[0] == 0 and \
                (not clean or self.replay(c, [], expect=False)[0] == 0)
        return inv, fails

    def write(self, out, head, best):
        out = out or re.sub(r'(\.sched)?$', '', self.path, count=1) + '.min.sched'
        try:
            with open(out, 'w') as f:
                f.write(head + self.render(best))
        except OSError as e:
            die(f"cannot write {out}: {e.strerror}")
        return out

    def close(self):
        os.unlink(self.tmp)


def minimize_named(sched, path, lines, at, mutants, out):
    """Fewest named switches of a scheduler witness."""
    toks = lines[at].split()[1:]
    r = SchedReplay(sched, path, lines, at, lambda t: ' '.join(['switches'] + t), mutants)
    try:
        inv, fails = r.judge(toks)
        best = toks
        changed = True
        while changed:
            changed = False
            for i in reversed(range(len(best))):
                cand = best[:i] + best[i + 1:]
                if fails(cand):
                    best, changed = cand, True
                    break
    finally:
        r.close()
    out = r.write(out, f"# minimized from {os.path.basename(path)} by ./hvo minimize: {inv}, {len(best)} named "
                  f"switches (from {len(toks)}; {r.runs} runs)\n", best)
    print(f"minimize: {path}: {len(toks)} named switches -> {len(best)} switches, still {inv} ({r.runs} runs); "
          f"written to {out}")
    return 0


def minimize_sched(cli, path, text, mutants, out):
    """Fewest switches, then fewest steps, of a scheduler witness."""
    sched = os.path.join(os.path.dirname(cli), 'hvo-sched')
    lines = text.splitlines()
    named = [i for i, l in enumerate(lines) if l.split()[:1] == ['switches']]
    if len(named) == 1:
        return minimize_named(sched, path, lines, named[0], mutants, out)
    at = [i for i, l in enumerate(lines) if l.split()[:1] == ['schedule']]
    if len(at) != 1 or ':' not in lines[at[0]]:
        die(f"{path}: no 'switches' or 'schedule N:DIGITS' line")
    prefix, digits = lines[at[0]].split(None, 1)[1].split(':', 1)
    r = SchedReplay(sched, path, lines, at[0], lambda d: f"schedule {prefix}:{d}", mutants)
    try:
        inv, fails = r.judge(digits)
        best = digits
        changed = True
        while changed:   # merge or drop whole runs of one CPU
            changed = False
            groups = [(c, len(list(g))) for c, g in __import__('itertools').groupby(best)]
            for i in range(len(groups)):
                cands = ['']
                if i > 0:
                    cands.append(groups[i - 1][0])
                if i + 1 < len(groups):
                    cands.append(groups[i + 1][0])
                for c in cands:
                    cand = ''.join(x * n for x, n in groups[:i]) + c * groups[i][1] + \
                        ''.join(x * n for x, n in groups[i + 1:])
                    if switches(cand) < switches(best) and fails(cand):
                        best, changed = cand, True
                        break
                if changed:
                    break
        for n in range(len(best) + 1):   # the shortest prefix
            if switches(best[:n]) <= switches(best) and fails(best[:n]):
                best = best[:n]
                break
    finally:
        r.close()
    out = r.write(out, f"# minimized from {os.path.basename(path)} by ./hvo minimize: {inv}, {switches(best)} "
                  f"switches and {len(best)} steps (from {switches(digits)} and {len(digits)}; {r.runs} runs)\n",
                  best)
    print(f"minimize: {path}: schedule of {len(digits)} steps, {switches(digits)} switches -> {len(best)} steps, "
          f"{switches(best)} switches, still {inv} ({r.runs} runs); written to {out}")
    return 0


def main(argv):
    cli, args = argv[1], argv[2:]
    if '--help' in args or '-h' in args:
        sys.stdout.write(usage())
        return 0
    path, out, mutants = None, None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ('--mutant', '--out'):
            if i + 1 >= len(args):
                die(f"{a} needs a value\n" + usage())
            if a == '--mutant':
                mutants.append(args[i + 1])
            else:
                out = args[i + 1]
            i += 2
            continue
        if a.startswith('-') or path:
            die(f"unexpected argument '{a}'\n" + usage())
        path = a
        i += 1
    if not path:
        die("no FILE\n" + usage())
    try:
        data = open(path, 'rb').read()
    except OSError as e:
        die(f"cannot read {path}: {e.strerror}")
    if data.lstrip().startswith(b'hvo-ops') or data.lstrip().startswith(b'#'):
        text = data.decode('utf-8', 'replace')
    else:   # a binary fuzz_ops input: its canonical text form
        p = subprocess.run([cli, 'bytes2text', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            die(f"{path}: neither a text op stream nor a binary one hvo-cli bytes2text decodes: {p.stderr.strip()}")
        text = p.stdout
    first = next((l.split()[0] for l in text.splitlines() if l.strip() and not l.lstrip().startswith('#')), '')
    if first == 'hvo-sched':
        return minimize_sched(cli, path, text, mutants, out)
    stream = Stream(text)
    run = Runner(cli, mutants)
    try:
        want = run.signature(stream.render(set(range(len(stream.units)))))
        if want in (None, 'error'):
            if want == 'error':
                die(f"{path}: hvo-cli explain refused it or ended without a verdict (try ./hvo explain {path})")
            die(f"{path} does not fail{' with ' + ','.join(mutants) if mutants else ''}: nothing to minimize", 3)
        # a witness of mutants that passes without them must keep passing
        # without them (a zoo witness is clean on the correct model)
        clean = bool(mutants) and run.signature(stream.render(set(range(len(stream.units)))), False) is None

        def fails(sub):
            text = stream.render(set(sub))
            return run.signature(text) == want and (not clean or run.signature(text, False) is None)
        keep = ddmin(list(range(len(stream.units))), fails)
    finally:
        os.unlink(run.tmp.name)
    base = os.path.basename(path)
    out = out or re.sub(r'(\.ops|\.bin)?$', '', path, count=1) + '.min.ops'
    body = stream.render(set(keep))
    n_in = sum(len(u[1]) for u in stream.units)
    n_out = sum(len(stream.units[k][1]) for k in keep)
    head = (f"# minimized from {base} by ./hvo minimize{' --mutant ' + ' --mutant '.join(mutants) if mutants else ''}:"
            f" {want[1]} at {want[0]}, {n_out} of {n_in} lines ({run.runs} runs)\n")
    try:
        with open(out, 'w') as f:
            f.write(head + body)
    except OSError as e:
        die(f"cannot write {out}: {e.strerror}")
    print(f"minimize: {path}: {n_in} -> {n_out} lines, still {want[1]} at {want[0]} ({run.runs} runs); written to {out}")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
