"""IO-ish part of the demo workload: records encoded into an in-memory log
that is flushed and rotated now and then.  Warm: encode_field,
encode_record, checksum; cold: flush, rotate."""
import io


class Log:
    def __init__(self):
        self.buffer = io.StringIO()
        self.pending = 0
        self.flushed = 0
        self.generation = 0


def encode_field(value):
    return str(value).replace(",", ";")


def encode_record(fields):
    out = []
    for f in fields:
        out.append(encode_field(f))
    return ",".join(out)


def checksum(text):
    total = 0
    for ch in text[:16]:
        total = (total * 31 + ord(ch)) & 0xffff
    return total


def append(log, fields):
    line = encode_record(fields)
    log.buffer.write("%s,%04x\n" % (line, checksum(line)))
    log.pending += 1


def flush(log):
    log.flushed += log.pending
    log.pending = 0
    log.buffer.seek(0)
    log.buffer.truncate()


def rotate(log):
    flush(log)
    log.generation += 1
