/*
 * eve — EVE JSON event output (Suricata's format, one object per line).
 *
 * Each worker owns a `struct eve_buf`, and whole lines are written from it
 * to the shared file descriptor when it fills or at flush. The file is
 * opened O_APPEND and every write() carries complete lines only, so lines
 * from different workers never interleave and no lock is taken.
 *
 * Events are written into the buffer as they are built (`struct jb`, the
 * direct writer below): no tree, no allocation per event. Building a
 * jansson tree per event and serialising it was 13% of a run over a
 * capture of many small messages (benchmarks/RESULTS.md). The output is
 * byte for byte jansson's compact form of the tree the same calls would
 * have built (keys in the order written, the same escapes), which
 * test_eve checks against jansson itself. Trees are still accepted
 * (eve_emit) for the few events built that way (stats).
 */
#ifndef MT_EVE_H
#define MT_EVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct eve_buf {
	int fd;                 /* -1: a side buffer, never written out */
	char *buf;
	size_t len, cap;
	uint64_t events;        /* lines written */
	uint64_t bytes;
	uint64_t write_errors;  /* write() failures (disk full, ...) */
	uint64_t dump_errors;   /* events that could not be written (larger
				 * than EVE_EVENT_MAX, out of memory) */
};

/* The largest event; the buffer grows to hold one up to this size (an
 * event larger than the buffer is rare: long lists in one message). */
#define EVE_EVENT_MAX (64u << 20)

/* Open (create, append) LOGDIR/eve.json. Returns fd or -errno. */
int eve_open_file(const char *log_dir, char *path_out, size_t path_len);

/* Start-up: a buffer of cap bytes writing to fd. Returns 0 or -ENOMEM. */
int eve_buf_init(struct eve_buf *e, int fd, size_t cap);
void eve_buf_destroy(struct eve_buf *e);

/* Serialise obj as one line and take ownership of it (json_decref). */
void eve_emit(struct eve_buf *e, json_t *obj);

/*
 * The direct writer. jb_begin opens an object at the end of e's buffer;
 * members are added in output order, each with its key (NULL inside an
 * array); jb_event_end closes it as one line, jb_end as a value (a side
 * buffer, fd -1). Nothing else may be written to e in between. A member
 * that does not fit makes the buffer write out what precedes the event,
 * then grow; past EVE_EVENT_MAX the event is dropped and counted
 * (dump_errors). Nesting is at most JB_DEPTH_MAX deep.
 */
#define JB_DEPTH_MAX 30

struct jb {
	struct eve_buf *e;
	size_t start;           /* the object's first byte in e->buf */
	uint32_t more;          /* bit d: the container at depth d has members */
	uint8_t depth;
	bool failed;
	bool real;              /* eve_emit's tree had a real: jansson writes it */
};

void jb_begin(struct jb *b, struct eve_buf *e);
/* Close the event: "}\n", counted in e->events. */
void jb_event_end(struct jb *b);
/* Close the object; false when it could not be written (nothing kept). */
bool jb_end(struct jb *b);
void jb_obj(struct jb *b, const char *key);
void jb_obj_end(struct jb *b);
void jb_arr(struct jb *b, const char *key);
void jb_arr_end(struct jb *b);
/* Text known to be UTF-8 (the sensor's own names and formatted values);
 * s NULL writes no member (a name lookup that found none). */
void jb_str(struct jb *b, const char *key, const char *s);
void jb_strn(struct jb *b, const char *key, const char *s, size_t n);
/* Text from rules: as jb_strn when it is UTF-8, else as jb_wire. */
void jb_text(struct jb *b, const char *key, const char *s);
/* Wire bytes, as eve_string makes them: as they are when they are UTF-8
 * without control bytes; otherwise control bytes and invalid UTF-8 as
 * \xHH text and backslashes doubled. */
void jb_wire(struct jb *b, const char *key, const void *p, size_t n);
void jb_int(struct jb *b, const char *key, int64_t v);
void jb_bool(struct jb *b, const char *key, bool v);
/* A value already written as JSON (an object kept from jb_end). */
void jb_raw(struct jb *b, const char *key, const char *json, size_t n);
/* Whether UTF-8 is valid (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
bool eve_utf8_valid(const void *p, size_t n);

/* Write out everything buffered. */
void eve_flush(struct eve_buf *e);

/* "2023-11-14T22:13:20.026998+0000" for a time in microseconds (UTC). */
void eve_format_ts(uint64_t ts_us, char *out, size_t outlen);

/* json_stringn over wire bytes: invalid UTF-8 and control bytes are
 * escaped as \xHH text so the event is valid JSON and nothing is lost.
 * The tree form of jb_wire, for an event built as a jansson tree; the
 * sensor's own events no longer are, and test_eve holds jb_wire to it. */
json_t *eve_string(const void *data, size_t len);

#endif
