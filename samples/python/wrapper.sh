#!/bin/sh
# wrapper.sh: launches fib.py through a #! script and exec, the way shims
# (pyenv, virtualenv launchers, distro wrappers) start Python.  A tracer
# that launches this must follow the exec into /usr/bin/python3.11.
# Options are fib.py's; so are the expectations.
exec /usr/bin/python3.11 "$(dirname "$0")/fib.py" "$@"
