/*
 * Stops its own dlopen half-way: a seccomp filter hands the loader's
 * mmap of a writable segment (MAP_FIXED, PROT_WRITE) to a supervisor
 * thread, which says "ready PID" and lets the mmap go on only after a
 * line on the go fifo.  Then the library's sequence runs N times.
 *   middl READY GO LIBRARY N
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int listener = -1;
static const char *ready_path, *go_path;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *supervise(void *arg)
{
	int first = 1;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (listener < 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (;;) {
		struct seccomp_notif req = { 0 };
		struct seccomp_notif_resp resp = { 0 };

		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL;
		}
		if (first) {
			char line[64];
			FILE *f = fopen(ready_path, "w");

			fprintf(f, "ready %d\n", getpid());
			fclose(f);
			f = fopen(go_path, "r");
			if (!fgets(line, sizeof(line), f))
				exit(3);
			fclose(f);
			first = 0;
		}
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno == EINTR)
			;
	}
}

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[3])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_FIXED, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	void (*run)(const char *, long), (*init)(int);
	pthread_t th;
	void *h;
	int fd;
	long i, n;

	if (argc != 5)
		return 2;
	ready_path = argv[1];
	go_path = argv[2];
	n = atol(argv[4]);
	pthread_create(&th, NULL, supervise, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return 4;
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0) {
		perror("seccomp");
		return 4;
	}
	pthread_mutex_lock(&mu);
	listener = fd;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	h = dlopen(argv[3], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 5;
	}
	init = (void (*)(int))dlsym(h, "libprobes_init");
	run = (void (*)(const char *, long))dlsym(h, "libprobes_run");
	init(-1);
	for (i = 0; i < n; i++)
		run("middl", i);
	printf("ran %ld\n", n);
	return 0;
}
