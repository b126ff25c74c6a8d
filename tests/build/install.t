# make install puts ptap and its manual page under PREFIX (and DESTDIR);
# make uninstall takes them away again.
. "$(dirname "$0")/../lib.sh"

[ "$PTAP_VARIANT" = release ] || { skip "make install is checked in the release run"; done_testing; exit 0; }
run_status make -s -C "$ROOT" install DESTDIR="$TMP/root" PREFIX=/opt/ptap
is "$RC" 0 "make install DESTDIR=... PREFIX=/opt/ptap"
ok "$([ -x "$TMP/root/opt/ptap/bin/ptap" ]; echo $?)" "  ... installs bin/ptap"
ok "$([ -f "$TMP/root/opt/ptap/share/man/man1/ptap.1" ]; echo $?)" "  ... and share/man/man1/ptap.1"
like "$("$TMP/root/opt/ptap/bin/ptap" --version)" "^ptap [0-9]+\.[0-9]+\.[0-9]+$" "the installed ptap runs"
like "$(MANWIDTH=80 man -l "$TMP/root/opt/ptap/share/man/man1/ptap.1" 2>/dev/null | head -n 3)" "PTAP\(1\)" "the installed manual page renders"
run_status make -s -C "$ROOT" uninstall DESTDIR="$TMP/root" PREFIX=/opt/ptap
ok "$([ ! -e "$TMP/root/opt/ptap/bin/ptap" ] && [ ! -e "$TMP/root/opt/ptap/share/man/man1/ptap.1" ]; echo $?)" \
	"make uninstall removes both"

done_testing
