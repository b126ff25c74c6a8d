"""The demo workload's modules (see ../workload.py): textparse parses and
evaluates small expressions, numeric does integer arithmetic, storage
encodes records into an in-memory log.  Small functions with very
different call rates, so the top view has something to rank."""
