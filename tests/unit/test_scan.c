/*
 * ui/scan.c on live processes: idle Debian /usr/bin/python3.11 processes
 * (blocked reading a pipe) are judged traceable, with their version and
 * markers; a child of the judging process is its own; a process that is
 * no Python is passed over; and once a file has been read, judging
 * another process that maps it, or the same one again, reads no ELF file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "ui/scan.h"

#define PY "/usr/bin/python3.11"

/* An idle Python; grandchild: reparented away from us (else our own).
 * Its stdin is the write end kept in *hold; returns its pid or -1. */
static pid_t idle_python(bool grandchild, int *hold)
{
	int in[2], out[2], pidp[2];
	pid_t pid, py = -1;
	char c;

	if (pipe(in) || pipe(out) || pipe(pidp))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (grandchild && fork() != 0)
			_exit(0);
		py = getpid();
		if (write(pidp[1], &py, sizeof(py)) != sizeof(py))
			_exit(1);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(PY, PY, "-E", "-S", "-c",
		      "import sys; sys.stdout.write('r'); sys.stdout.flush(); sys.stdin.read()",
		      (char *)NULL);
		_exit(127);
	}
	if (grandchild)
		waitpid(pid, NULL, 0);
	close(in[0]);
	close(out[1]);
	close(pidp[1]);
	if (read(pidp[0], &py, sizeof(py)) != sizeof(py) || read(out[0], &c, 1) != 1 || c != 'r')
		py = -1;
	close(pidp[0]);
	close(out[0]);
	*hold = in[1];
	return py;
}

int main(void)
{
	struct selection sel = { 0 };
	struct scan_cache *c = scan_cache_new();
	struct scan_proc p;
	const char *why;
	unsigned long reads;
	int hold_a, hold_b, hold_c;
	pid_t a, b, ch;

	if (access(PY, X_OK)) {
		printf("1..0 # SKIP %s is not installed\n", PY);
		return 0;
	}
	selection_add(&sel, "python:function__entry", &why);
	a = idle_python(true, &hold_a);
	ok(a > 0, "an idle python3.11 started");
	is_int(scan_process(c, a, &sel, false, &p), 0, "judged");
	is_int(p.verdict, SCAN_TRACEABLE, "traceable");
	is_int(p.python_version, 0x030b0000, "Python 3.11");
	ok(p.python, "a Python");
	ok(p.nmatching >= 1, "function__entry selected (%zu locations)", p.nmatching);
	ok(strstr(p.markers, "function__entry") && strstr(p.markers, "gc__start"),
	   "its markers: %s", p.markers);
	is_int(p.nmarkers, 8, "8 distinct markers");
	scan_proc_free(&p);
	reads = scan_cache_reads(c);
	ok(reads > 0, "ELF files read: %lu", reads);

	is_int(scan_process(c, a, &sel, false, &p), 0, "judged again");
	is_int(p.verdict, SCAN_TRACEABLE, "still traceable");
	scan_proc_free(&p);
	is_int(scan_cache_reads(c), reads, "no ELF file read again for the same process");

	b = idle_python(true, &hold_b);
	is_int(scan_process(c, b, &sel, false, &p), 0, "a second python3.11 judged");
	is_int(p.verdict, SCAN_TRACEABLE, "traceable");
	scan_proc_free(&p);
	is_int(scan_cache_reads(c), reads, "no ELF file read for another process of the same files");

	ch = idle_python(false, &hold_c);
	is_int(scan_process(c, ch, &sel, false, &p), 0, "our own child judged");
	is_int(p.verdict, SCAN_SELF, "a child of ours: skipped as ptap's own");
	ok(p.why && strstr(p.why, "a child of ptap's"), "why: %s", p.why ? p.why : "(null)");
	scan_proc_free(&p);

	is_int(scan_process(c, getpid(), &sel, false, &p), 0, "this test judged");
	is_int(p.verdict, SCAN_IGNORED, "no Python and no selected probe: passed over");
	scan_proc_free(&p);

	close(hold_a);
	close(hold_b);
	close(hold_c);
	waitpid(ch, NULL, 0);
	/* above the kernel's largest pid_max: never a process */
	is_int(scan_process(c, 4194305, &sel, false, &p), -ESRCH, "no such process: -ESRCH");
	scan_proc_free(&p);
	scan_cache_free(c);
	selection_free(&sel);
	return done_testing();
}
