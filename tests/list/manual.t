#!/usr/bin/env bash
# The manual documents `ptap list` as it is: man/ptap.1 renders without a
# groff warning, and every option of `ptap list --help` and every command
# of `ptap --help` appears in it.
. "$(dirname "$0")/../lib.sh"
MAN=$ROOT/man/ptap.1

if have groff; then
	warnings=$(groff -man -ww -z "$MAN" 2>&1)
	is "$warnings" "" "man/ptap.1: groff -man -ww finds nothing to warn about"
	text=$(groff -man -Tascii -P-cbou -rHY=0 "$MAN" 2>/dev/null)
else
	skip "groff is not installed"
	text=$(sed 's/\\-/-/g' "$MAN")
fi

for opt in $("$PTAP" list --help | grep -Eo -- '--[a-z][a-z-]+' | sort -u); do
	like "$text" "$opt" "ptap list $opt is in the manual"
done
for cmd in $("$PTAP" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
	like "$text" "ptap $cmd" "command $cmd is in the manual"
done

done_testing
