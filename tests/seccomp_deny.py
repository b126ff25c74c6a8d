#!/usr/bin/env python3
"""seccomp_deny.py WHAT CMD ARGS...: run CMD where a policy refuses WHAT.

A seccomp filter, inherited by CMD and everything it starts, makes one
kind of system call fail, as a stricter machine would:

    openat2   openat2 fails with ENOSYS, as on Linux before 5.6
    memfd     memfd_create fails with EPERM
    execmem   mmap of anonymous executable memory fails with EACCES (as
              SELinux's execmem or a W^X policy refuses it); mappings of
              files, executable or not, are untouched
"""
import ctypes
import os
import struct
import sys

AUDIT_ARCH_X86_64 = 0xC000003E
NR_MMAP, NR_MEMFD_CREATE, NR_OPENAT2 = 9, 319, 437
EPERM, EACCES, ENOSYS = 1, 13, 38
PROT_EXEC, MAP_ANONYMOUS = 0x4, 0x20
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
ARGS = 16           # offsetof(struct seccomp_data, args)


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


HEAD = [
    insn(LD_W_ABS, 0, 0, 4),                 # seccomp_data.arch
    insn(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
    insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    insn(LD_W_ABS, 0, 0, 0),                 # seccomp_data.nr
]
POLICIES = {
    "openat2": HEAD + [
        insn(JEQ_K, 0, 1, NR_OPENAT2),
        insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
        insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ],
    "memfd": HEAD + [
        insn(JEQ_K, 0, 1, NR_MEMFD_CREATE),
        insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM),
        insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ],
    "execmem": HEAD + [
        insn(JEQ_K, 0, 5, NR_MMAP),
        insn(LD_W_ABS, 0, 0, ARGS + 8 * 2),  # prot
        insn(JSET_K, 0, 3, PROT_EXEC),
        insn(LD_W_ABS, 0, 0, ARGS + 8 * 3),  # flags
        insn(JSET_K, 0, 1, MAP_ANONYMOUS),
        insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | EACCES),
        insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ],
}


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


if len(sys.argv) < 3 or sys.argv[1] not in POLICIES:
    sys.exit("usage: seccomp_deny.py openat2|memfd|execmem CMD ARGS...")
prog = b"".join(POLICIES[sys.argv[1]])
libc = ctypes.CDLL(None, use_errno=True)
fprog = SockFprog(len(prog) // 8, prog)
if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0):
    sys.exit("seccomp_deny.py: seccomp: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[2], sys.argv[2:])
