/*
 * The recorder (inproc/recorder.c) as the bytes ptap copies into a
 * target: built freestanding by the Makefile and turned into this array
 * by inproc/mkblob.sh, with the offsets of its entry point and of the
 * read-only struct ip_code_info that ptap fills in for each copy.
 */
#ifndef PTAP_TRACER_BLOB_H
#define PTAP_TRACER_BLOB_H

extern const unsigned char inproc_blob[];
extern const unsigned long inproc_blob_size;
extern const unsigned long inproc_blob_hit;
extern const unsigned long inproc_blob_info;

#endif
