"""bench/httpd.py: the HTTP server that bench/server attaches to.

    python3.11 -E -S httpd.py ENTRY_SEM LINE_SEM

Python's own threading HTTP server (what `python3 -m http.server` runs: a
thread per connection), on 127.0.0.1 and a port of the kernel's choice,
which it writes to standard output, one line, once it listens.  Requests:

  GET /            "ok", made by do_GET: the calls bench/server counts
  GET /count       how many times do_GET has served "/" so far
  GET /markers/on  add 1 to the function__entry and line semaphores (at the
                   addresses given), as a tracer would, so that CPython takes
                   its tracing path with nobody listening
  GET /markers/off take that 1 off again

It serves until standard input closes.
"""
import ctypes
import http.server
import sys
import threading

served = 0
lock = threading.Lock()
sems = [ctypes.c_uint16.from_address(int(a, 0)) for a in sys.argv[1:3]]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        if self.path == "/":
            with lock:
                served += 1
            body = b"ok\n"
        elif self.path == "/count":
            with lock:
                body = b"%d\n" % served
        elif self.path in ("/markers/on", "/markers/off"):
            for s in sems:
                s.value += 1 if self.path.endswith("on") else -1
            body = b"done\n"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


main()
