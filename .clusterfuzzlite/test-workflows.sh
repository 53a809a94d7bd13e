#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test-workflows.sh SRC [OUT] - the ClusterFuzzLite workflows
# (.github/workflows/cflite_pr.yml, cflite_batch.yml) match the tree: each
# parses as YAML, builds with google/clusterfuzzlite/actions/build_fuzzers@v1
# in project.yaml's language and runs run_fuzzers@v1 in its mode
# (code-change, batch) for project.yaml's sanitizers only; the targets its
# HVO_FUZZ_TARGETS names are exactly the ones build.sh builds without a
# kernel tree (corpus/<target>.options but fuzz_kernel), each an executable
# of fuzz/meson.build; with OUT (test-build.sh's libFuzzer $OUT, when the
# clusterfuzzlite-build test made it), each is there.  Exit 0 when all holds.
set -euo pipefail
src=$1 out=${2:-}
exec python3 - "$src" "$out" <<'PY'
import os, re, sys, yaml
src, out = sys.argv[1], sys.argv[2]
fails = []
if out and not os.path.isdir(out):
    print(f"note: {out} not built (clusterfuzzlite-build runs first in the suite): static checks only")
    out = ""
project = yaml.safe_load(open(f"{src}/.clusterfuzzlite/project.yaml"))
built = sorted(f[:-8] for f in os.listdir(f"{src}/corpus") if f.endswith(".options") and f != "fuzz_kernel.options")
meson = open(f"{src}/fuzz/meson.build").read()
for name, mode in (("cflite_pr.yml", "code-change"), ("cflite_batch.yml", "batch")):
    path = f"{src}/.github/workflows/{name}"
    try:
        wf = yaml.safe_load(open(path))
    except Exception as e:
        fails.append(f"{name}: not YAML: {e}")
        continue
    named = sorted(wf.get("env", {}).get("HVO_FUZZ_TARGETS", "").split())
    if named != built:
        fails.append(f"{name}: HVO_FUZZ_TARGETS {named} is not what build.sh builds {built}")
    for t in named:
        if not re.search(rf"['\"]{t}['\"]", meson):
            fails.append(f"{name}: {t} is not a target of fuzz/meson.build")
        if out and not os.access(f"{out}/{t}", os.X_OK):
            fails.append(f"{name}: {t} is not in build.sh's $OUT ({out})")
    for job, spec in wf["jobs"].items():
        steps = {s.get("uses", "").split("@")[0]: s for s in spec["steps"]}
        b = steps.get("google/clusterfuzzlite/actions/build_fuzzers")
        r = steps.get("google/clusterfuzzlite/actions/run_fuzzers")
        if not b or not r:
            fails.append(f"{name}: job {job} lacks build_fuzzers or run_fuzzers")
            continue
        if b["with"].get("language") != project["language"]:
            fails.append(f"{name}: language {b['with'].get('language')}, project.yaml says {project['language']}")
        if r["with"].get("mode") != mode:
            fails.append(f"{name}: mode {r['with'].get('mode')}, want {mode}")
        sans = spec["strategy"]["matrix"]["sanitizer"]
        if not set(sans) <= set(project["sanitizers"]):
            fails.append(f"{name}: sanitizers {sans} beyond project.yaml's {project['sanitizers']}")
    # YAML 1.1 reads the key "on" as True
    if not (wf.get("on") or wf.get(True)):
        fails.append(f"{name}: no trigger")
for f in fails:
    print("FAIL", f)
print(f"test-workflows: {len(fails)} problems in cflite_pr.yml and cflite_batch.yml ({len(built)} targets)")
sys.exit(1 if fails else 0)
PY
