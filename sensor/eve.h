/*
 * eve — EVE JSON event output (Suricata's format, one object per line).
 *
 * Each worker owns a `struct eve_buf`: events are built as jansson trees
 * and serialised straight into it (eve.c's own writer, byte for byte
 * jansson's compact form; jansson itself for what it cannot write), and
 * whole lines are written to the shared file
 * descriptor when it fills or at flush. The file is opened O_APPEND and
 * every write() carries complete lines only, so lines from different
 * workers never interleave and no lock is taken.
 */
#ifndef MT_EVE_H
#define MT_EVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct eve_buf {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t events;        /* lines written */
	uint64_t bytes;
	uint64_t write_errors;  /* write() failures (disk full, ...) */
	uint64_t dump_errors;   /* events jansson could not serialise */
};

/* Open (create, append) LOGDIR/eve.json. Returns fd or -errno. */
int eve_open_file(const char *log_dir, char *path_out, size_t path_len);

/* Start-up: a buffer of cap bytes writing to fd. Returns 0 or -ENOMEM. */
int eve_buf_init(struct eve_buf *e, int fd, size_t cap);
void eve_buf_destroy(struct eve_buf *e);

/* Serialise obj as one line and take ownership of it (json_decref). */
void eve_emit(struct eve_buf *e, json_t *obj);

/* Write out everything buffered. */
void eve_flush(struct eve_buf *e);

/* "2023-11-14T22:13:20.026998+0000" for a time in microseconds (UTC). */
void eve_format_ts(uint64_t ts_us, char *out, size_t outlen);

/* json_stringn over wire bytes: invalid UTF-8 and control bytes are
 * escaped as \xHH text so the event is valid JSON and nothing is lost. */
json_t *eve_string(const void *data, size_t len);

#endif
