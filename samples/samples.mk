# Sample programs; filled in by the samples work.  Defines SAMPLES (files
# that `make samples` builds) and SAMPLES_CLEAN.
SAMPLES :=
SAMPLES_CLEAN :=
