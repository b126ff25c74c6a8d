#!/usr/bin/env python3
"""no_openat2.py CMD ARGS...: run CMD as on a kernel without openat2.

A seccomp filter makes openat2 fail with ENOSYS (Linux before 5.6 does),
in CMD and everything it starts; every other system call is untouched.
"""
import ctypes
import os
import struct
import sys

AUDIT_ARCH_X86_64 = 0xC000003E
NR_OPENAT2 = 437
ENOSYS = 38
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


prog = b"".join([
    insn(LD_W_ABS, 0, 0, 4),                 # seccomp_data.arch
    insn(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
    insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    insn(LD_W_ABS, 0, 0, 0),                 # seccomp_data.nr
    insn(JEQ_K, 0, 1, NR_OPENAT2),
    insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
    insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
])


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


if len(sys.argv) < 2:
    sys.exit("usage: no_openat2.py CMD ARGS...")
libc = ctypes.CDLL(None, use_errno=True)
fprog = SockFprog(len(prog) // 8, prog)
if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0):
    sys.exit("no_openat2.py: seccomp: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
