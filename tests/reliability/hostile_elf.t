#!/usr/bin/env bash
# `ptap list` on hostile ELF files (made by hostile_elf.py): notes cut short
# or with sizes that overflow, strings without a NUL, addresses outside
# every segment, semaphores in code, headers out of the file, specs no
# compiler writes.  Each file gives exit status 0 (listed, with warnings
# and problems) or 1 (refused, with a message), never a crash: a status of
# 128 or more, or any sanitizer report, fails.  The same files mapped into
# a running process go through `ptap list -p`.
. "$(dirname "$0")/../lib.sh"

H=$TMP/hostile
$PY3 "$ROOT/tests/reliability/hostile_elf.py" "$H"
ok $? "hostile_elf.py wrote the files"

# no_crash WHAT: the last run_status ended by itself with 0 or 1, and no
# sanitizer spoke
no_crash() {
	if [ "$RC" -ge 128 ] || printf '%s' "$ERR" | grep -Eq 'Sanitizer|runtime error:|LeakSanitizer'; then
		fail "$1: no crash (status $RC)"
		printf '%s\n' "$ERR" | head -n 20 | sed 's/^/# /'
		return 1
	fi
	return 0
}

n=0
while IFS=$'\t' read -r name status regex; do
	n=$((n + 1))
	run_status "$PTAP" list "$H/$name"
	no_crash "$name" || continue
	if [ "$RC" != "$status" ] || ! printf '%s\n%s' "$OUT" "$ERR" | grep -Eq -- "$regex"; then
		fail "$name: exit $status, output matching /$regex/"
		diag "status $RC; stdout: $(printf '%s' "$OUT" | head -c 600)"
		diag "stderr: $(printf '%s' "$ERR" | head -c 600)"
		continue
	fi
	# what goes to stderr is ptap's own messages, one per line
	bad=$(printf '%s\n' "$ERR" | grep -v '^ptap: ' | grep -v '^$' | head -n 1)
	if [ -n "$bad" ]; then
		fail "$name: every message starts with 'ptap: '"
		diag "stray line: $bad"
		continue
	fi
	# --json: the same status, and one valid JSON array
	run_status "$PTAP" list --json "$H/$name"
	no_crash "$name --json" || continue
	if [ "$RC" != "$status" ]; then
		fail "$name --json: exit $status (got $RC)"
		continue
	fi
	if [ "$status" = 0 ] && ! $PY3 -c 'import json, sys; json.load(sys.stdin)' <"$TMP/out" 2>"$TMP/json.err"; then
		fail "$name --json: valid JSON"
		diag "$(cat "$TMP/json.err")"
		continue
	fi
	pass "$name: exit $status, /$regex/, --json too"
done <"$H/MANIFEST"
ok $((n < 40)) "MANIFEST lists $n files (at least 40)"

# All at once: the good ones listed, status 1 for the refused ones.
mapfile -t all < <(cut -f1 "$H/MANIFEST" | sed "s|^|$H/|")
run_status "$PTAP" list "${all[@]}"
no_crash "all files in one run" && is "$RC" 1 "all files in one run: exit 1 (some are refused)"
like "$OUT" "$H/good: 3 probes" "  ... and the good file is listed among them"

# The hostile files mapped into a process: `ptap list -p` reads them from
# its maps, with addresses outside every segment and semaphores in code.
R=$(make_fifo ready)
G=$(make_fifo go)
$PY3 - "$R" "$G" "$H" <<'PYEOF' &
import mmap, os, sys
ready, go, d = sys.argv[1:4]
maps = []
for name in ("good", "sem-in-code", "site-outside", "segment-wraps", "section-size-wraps",
             "desc-args-no-nul", "args-hostile", "phnum-huge", "elf64-big-endian", "cut-shdrs",
             "many-bad-notes", "names-hostile"):
    fd = os.open(os.path.join(d, name), os.O_RDONLY)
    maps.append(mmap.mmap(fd, 0, prot=mmap.PROT_READ | mmap.PROT_EXEC))
    os.close(fd)
open(ready, "w").write("ready %d\n" % os.getpid())
open(go).readline()
PYEOF
HP=$!
on_exit "kill $HP"
read -r _ hpid < <(wait_ready "$R")
run_status "$PTAP" list -p "$hpid"
no_crash "list -p of a process mapping hostile files" &&
	ok $((RC > 1)) "list -p of a process mapping hostile files: exit 0 or 1 (got $RC)"
like "$OUT" "$H/sem-in-code: 1 probe" "  ... lists the files it maps"
like "$OUT$ERR" "semaphore 0x400100 is outside every writable segment" "  ... with their problems"
like "$OUT$ERR" "$H/cut-shdrs: damaged ELF file" "  ... and names the one it cannot read"
run_status "$PTAP" list --json -p "$hpid"
no_crash "list --json -p" && $PY3 -c 'import json, sys; json.load(sys.stdin)' <"$TMP/out"
ok $? "list --json -p: valid JSON"
echo go >"$G"
wait "$HP"
ok $? "the process mapping them ends normally"

done_testing
