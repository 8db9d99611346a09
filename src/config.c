/* config — see include/config.h. */
#include "config.h"

#include "cfgwords.h"
#include "regfile.h"
#include "signames.h"
#include "userdb.h"

#include <errno.h>
#include <dirent.h>
#include <fnmatch.h>
#include <ini.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_MAX_SECONDS 1e9	/* ~31 years: more is a typo */
#define CFG_MAX_SOCKET_PATH 107 /* sizeof(sun_path) - 1 */
#define CFG_MAX_LOG_KEEP 1000
#define CFG_MAX_NOFILE (1L << 30)
#define CFG_MAX_FD 1023
#define SHOW_MAX 60 /* characters of a bad value quoted in a message */

/*
 * Parsing happens in two passes. Pass 1 runs inih over each file and
 * stores every known key's raw value (continuations joined) in a struct
 * rsec per section; it reports syntax, section and key-name errors.
 * Pass 2 turns the raw values into a struct cfg and checks them, and
 * then checks what spans services (dependencies, cycles).
 */

struct rkv {
	struct rkv *next;
	char *key;
	char *value;
	size_t len;
	int fidx, line;
	bool broken; /* its line was too long or held a NUL: value unusable */
};

enum sec_kind { SEC_SEXTON, SEC_SYSTEM, SEC_SERVICE };

struct rsec {
	enum sec_kind kind;
	char *name; /* services only */
	int fidx, line;
	struct rkv *head, **tail;
};

struct ierr {
	struct cfg_error e;
	int fidx;
	size_t seq;
};

struct file_id {
	dev_t dev;
	ino_t ino;
	bool known;
};

struct ctx {
	const char *etc_dir;
	const char *top; /* the file (or name) given to cfg_parse_*, for errors about no file */
	char **files; /* file names by index, in the order they were read */
	size_t nfiles, capfiles;
	bool too_many_files;
	struct ierr *errs;
	size_t nerrs, caperrs, seq;
	bool errs_dropped;
	bool oom;
	struct rsec sexton, system;
	bool system_present, socket_mode_set;
	struct rsec **svcs;
	size_t nsvcs, capsvcs;
	struct udb udb;
	int udb_state; /* 0 not loaded, 1 loaded, -1 out of memory */
	struct file_id stack[CFG_MAX_INCLUDE_DEPTH + 1]; /* files being read */
	int depth;
};

/* What inih makes of a line; mirrors ini_parse_stream() of inih r55. */
enum lkind {
	LK_NONE,	/* blank or comment: nothing happens */
	LK_CONT,	/* continuation: handler(prev name, value) */
	LK_SECTION,	/* [name] */
	LK_BAD_SECTION, /* '[' with no ']': inih error */
	LK_KEY,		/* name = value: handler(name, value) */
	LK_NO_SEP,	/* no '=' or ':': inih error */
};

struct lineinfo {
	enum lkind kind;
	const char *name; /* key or section name */
	size_t namelen;
	const char *rest; /* after ']' */
	size_t restlen;
	const char *cut; /* continuation: where its inline comment starts (or its end) */
};

enum sec_state { SS_NONE, SS_OK, SS_IGNORED };

/* One file being read by inih. */
struct pfile {
	struct ctx *c;
	int fidx;
	const char *pos, *end;
	int lineno;
	bool inih_prev_name; /* mirror of inih's "*prev_name != 0" */
	enum lkind kind;     /* of the line last handed to inih */
	bool subst;	     /* that line was replaced by a stand-in */
	bool want_handler;   /* inih owes us a handler call for it */
	bool out_of_sync;
	int first_syntax_line;
	enum sec_state sstate;
	struct rsec *sec;
	struct rkv *kv; /* what a continuation line extends; NULL: drop it */
	struct rkv *includes, **inc_tail;
};

/* ---- errors ------------------------------------------------------------ */

static const char *
fname(const struct ctx *c, int fidx)
{
	return fidx >= 0 && (size_t)fidx < c->nfiles ? c->files[fidx] : c->top;
}

static void __attribute__((format(printf, 4, 5)))
err_at(struct ctx *c, int fidx, int line, const char *fmt, ...)
{
	struct ierr *e;
	va_list ap;

	if (c->nerrs >= CFG_MAX_ERRORS) {
		c->errs_dropped = true;
		return;
	}
	if (c->nerrs == c->caperrs) {
		size_t ncap = c->caperrs ? c->caperrs * 2 : 16;

		e = realloc(c->errs, ncap * sizeof(*e));
		if (!e) {
			c->oom = true;
			return;
		}
		c->errs = e;
		c->caperrs = ncap;
	}
	e = &c->errs[c->nerrs++];
	e->fidx = fidx;
	e->seq = c->seq++;
	e->e.line = line;
	snprintf(e->e.file, sizeof(e->e.file), "%s", fname(c, fidx));
	va_start(ap, fmt);
	vsnprintf(e->e.msg, sizeof(e->e.msg), fmt, ap);
	va_end(ap);
}

/* VALUE shortened for a message: "abc" or "abcdef..." */
static const char *
show(char buf[static SHOW_MAX + 4], const char *value)
{
	size_t len = strlen(value);

	if (len <= SHOW_MAX)
		return value;
	memcpy(buf, value, SHOW_MAX);
	memcpy(buf + SHOW_MAX, "...", 4);
	return buf;
}

static int
ierr_cmp(const void *pa, const void *pb)
{
	const struct ierr *a = pa, *b = pb;

	if (a->fidx != b->fidx)
		return a->fidx < b->fidx ? -1 : 1;
	if (a->e.line != b->e.line)
		return a->e.line < b->e.line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
errs_reserve(struct cfg_errors *errs, size_t more)
{
	struct cfg_error *v;
	size_t ncap;

	if (errs->cap - errs->n >= more)
		return 0;
	ncap = errs->cap ? errs->cap : 8;
	while (ncap - errs->n < more)
		ncap *= 2;
	v = realloc(errs->v, ncap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	errs->v = v;
	errs->cap = ncap;
	return 0;
}

static void
errs_add(struct cfg_errors *errs, const char *file, int line, const char *msg)
{
	struct cfg_error *e = &errs->v[errs->n++];

	snprintf(e->file, sizeof(e->file), "%s", file);
	e->line = line;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* Move the sorted errors of C into ERRS, which has room for one already. */
static void
flush_errors(struct ctx *c, struct cfg_errors *errs)
{
	size_t i;

	if (errs_reserve(errs, c->nerrs + 1) < 0) {
		errs_add(errs, fname(c, 0), 0, "out of memory");
		return;
	}
	if (c->nerrs)
		qsort(c->errs, c->nerrs, sizeof(*c->errs), ierr_cmp);
	for (i = 0; i < c->nerrs; i++)
		errs->v[errs->n++] = c->errs[i].e;
	if (c->oom)
		errs_add(errs, fname(c, 0), 0, "out of memory");
	else if (c->errs_dropped)
		errs_add(errs, fname(c, 0), 0, "too many errors; only the first 500 are shown");
}

void
cfg_errors_free(struct cfg_errors *errs)
{
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

int
cfg_error_format(const struct cfg_error *e, char *buf, size_t len)
{
	if (e->line > 0)
		return snprintf(buf, len, "%s:%d: %s", e->file, e->line, e->msg);
	return snprintf(buf, len, "%s: %s", e->file, e->msg);
}

size_t
cfg_errors_each(const struct cfg_errors *errs, void (*fn)(void *arg, const char *line), void *arg)
{
	char line[sizeof(errs->v->file) + sizeof(errs->v->msg) + 16];
	size_t i;

	if (!errs->n) {
		fn(arg, "out of memory");
		return 1;
	}
	for (i = 0; i < errs->n; i++) {
		cfg_error_format(&errs->v[i], line, sizeof(line));
		fn(arg, line);
	}
	return errs->n;
}

/* ---- pass 1: lines, sections, keys ------------------------------------- */

static bool
c_isspace(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* inih's find_chars_or_comment() on [s, e): an inline comment is " ;". */
static const char *
find_chars_or_comment(const char *s, const char *e, const char *chars)
{
	bool was_space = false;

	while (s < e && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = c_isspace(*s);
		s++;
	}
	return s;
}

/* Classify [s, s+len) exactly as ini_parse_stream() would. */
static void
classify(const char *s, size_t len, bool first_line, bool prev_name, struct lineinfo *li)
{
	const char *p = s, *e = s + len, *q, *end;

	memset(li, 0, sizeof(*li));
	if (first_line && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (e > p && c_isspace(e[-1]))
		e--;
	for (q = p; q < e && c_isspace(*q); q++)
		;
	if (q == e || *q == ';' || *q == '#') {
		li->kind = LK_NONE;
	} else if (prev_name && q > s) {
		li->kind = LK_CONT;
		li->cut = find_chars_or_comment(q, e, NULL);
	} else if (*q == '[') {
		end = find_chars_or_comment(q + 1, e, "]");
		if (end < e && *end == ']') {
			li->kind = LK_SECTION;
			li->name = q + 1;
			li->namelen = (size_t)(end - q - 1);
			li->rest = end + 1;
			li->restlen = (size_t)(e - end - 1);
		} else {
			li->kind = LK_BAD_SECTION;
		}
	} else {
		end = find_chars_or_comment(q, e, "=:");
		if (end < e && (*end == '=' || *end == ':')) {
			li->kind = LK_KEY;
			li->name = q;
			while (end > q && c_isspace(end[-1]))
				end--;
			li->namelen = (size_t)(end - q);
		} else {
			li->kind = LK_NO_SEP;
		}
	}
}

struct key_def;
static bool key_known(enum sec_kind kind, const char *key);

static struct rkv *
find_kv(const struct rsec *sec, const char *key)
{
	struct rkv *kv;

	for (kv = sec->head; kv; kv = kv->next)
		if (strcmp(kv->key, key) == 0)
			return kv;
	return NULL;
}

static void
free_kvs(struct rkv *kv)
{
	while (kv) {
		struct rkv *next = kv->next;

		free(kv->key);
		free(kv->value);
		free(kv);
		kv = next;
	}
}

static struct rkv *
new_kv(struct pfile *pf, const char *key, const char *value, bool broken)
{
	struct rkv *kv = calloc(1, sizeof(*kv));

	if (kv) {
		kv->key = strdup(key);
		kv->value = strdup(value);
	}
	if (!kv || !kv->key || !kv->value) {
		if (kv)
			free_kvs(kv);
		pf->c->oom = true;
		return NULL;
	}
	kv->len = strlen(value);
	kv->fidx = pf->fidx;
	kv->line = pf->lineno;
	kv->broken = broken;
	return kv;
}

static void
section_label(const struct rsec *sec, char *buf, size_t len)
{
	if (sec->kind == SEC_SERVICE)
		snprintf(buf, len, "[service:%s]", sec->name);
	else
		snprintf(buf, len, "[%s]", sec->kind == SEC_SEXTON ? "sexton" : "system");
}

/* Where KV (or a section) was: "line 4" in the same file, else "FILE:4". */
static void
where(const struct ctx *c, int here_fidx, int fidx, int line, char *buf, size_t len)
{
	if (fidx == here_fidx)
		snprintf(buf, len, "line %d", line);
	else
		snprintf(buf, len, "%s:%d", fname(c, fidx), line);
}

/* A "name = value" line (or the stand-in for an over-long one). */
static void
add_key(struct pfile *pf, const char *name, const char *value, bool broken)
{
	struct ctx *c = pf->c;
	struct rkv *kv, *old;
	char label[CFG_MAX_NAME + 16], at[300];

	pf->kv = NULL;
	if (pf->sstate == SS_IGNORED)
		return;
	if (pf->sstate == SS_NONE) {
		err_at(c, pf->fidx, pf->lineno, "key '%s' outside of any section", name);
		return;
	}
	section_label(pf->sec, label, sizeof(label));
	if (!*name) {
		err_at(c, pf->fidx, pf->lineno, "missing key name before '='");
		return;
	}
	if (!key_known(pf->sec->kind, name)) {
		err_at(c, pf->fidx, pf->lineno, "unknown key '%s' in %s", name, label);
		return;
	}
	kv = new_kv(pf, name, value, broken);
	if (!kv)
		return;
	/* include may be repeated; each file's are read after that file. */
	if (pf->sec->kind == SEC_SEXTON && strcmp(name, "include") == 0) {
		*pf->inc_tail = kv;
		pf->inc_tail = &kv->next;
		pf->kv = kv;
		return;
	}
	old = find_kv(pf->sec, name);
	if (old) {
		where(c, pf->fidx, old->fidx, old->line, at, sizeof(at));
		err_at(c, pf->fidx, pf->lineno, "duplicate key '%s' in %s (first set at %s)", name,
		       label, at);
		free_kvs(kv);
		return;
	}
	*pf->sec->tail = kv;
	pf->sec->tail = &kv->next;
	pf->kv = kv;
}

/* An indented line: inih hands it over as more of the previous value. */
static void
add_continuation(struct pfile *pf, const char *value)
{
	struct rkv *kv = pf->kv;
	size_t vlen = strlen(value);
	char *nv;

	if (!kv || kv->broken)
		return;
	nv = realloc(kv->value, kv->len + vlen + 2);
	if (!nv) {
		pf->c->oom = true;
		return;
	}
	kv->value = nv;
	if (kv->len)
		kv->value[kv->len++] = ' ';
	memcpy(kv->value + kv->len, value, vlen + 1);
	kv->len += vlen;
}

static bool
valid_service_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > CFG_MAX_NAME)
		return false;
	if (!(*name >= 'a' && *name <= 'z') && !(*name >= 'A' && *name <= 'Z') &&
	    !(*name >= '0' && *name <= '9') && *name != '_')
		return false;
	for (p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-",
			    *p))
			return false;
	return true;
}

static struct rsec *
find_service_sec(const struct ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsvcs; i++)
		if (strcmp(c->svcs[i]->name, name) == 0)
			return c->svcs[i];
	return NULL;
}

static void
open_service(struct pfile *pf, const char *name)
{
	struct ctx *c = pf->c;
	struct rsec *sec, **nv;
	char at[300], buf[SHOW_MAX + 4];

	pf->sstate = SS_IGNORED;
	if (!valid_service_name(name)) {
		if (!*name)
			err_at(c, pf->fidx, pf->lineno, "missing service name in [service:]");
		else
			err_at(c, pf->fidx, pf->lineno,
			       "invalid service name '%s' (use letters, digits, '_', '.', '@', "
			       "'-'; at most %d characters)",
			       show(buf, name), CFG_MAX_NAME);
		return;
	}
	sec = find_service_sec(c, name);
	if (sec) {
		where(c, pf->fidx, sec->fidx, sec->line, at, sizeof(at));
		err_at(c, pf->fidx, pf->lineno, "duplicate service '%s' (first defined at %s)", name,
		       at);
		return;
	}
	if (c->nsvcs == c->capsvcs) {
		size_t ncap = c->capsvcs ? c->capsvcs * 2 : 8;

		nv = realloc(c->svcs, ncap * sizeof(*nv));
		if (!nv) {
			c->oom = true;
			return;
		}
		c->svcs = nv;
		c->capsvcs = ncap;
	}
	sec = calloc(1, sizeof(*sec));
	if (!sec || !(sec->name = strdup(name))) {
		free(sec);
		c->oom = true;
		return;
	}
	sec->kind = SEC_SERVICE;
	sec->fidx = pf->fidx;
	sec->line = pf->lineno;
	sec->tail = &sec->head;
	c->svcs[c->nsvcs++] = sec;
	pf->sec = sec;
	pf->sstate = SS_OK;
}

static void
open_section(struct pfile *pf, const struct lineinfo *li)
{
	struct ctx *c = pf->c;
	char *name;
	size_t i;

	pf->kv = NULL;
	for (i = 0; i < li->restlen && c_isspace(li->rest[i]); i++)
		;
	if (i < li->restlen && li->rest[i] != ';' && li->rest[i] != '#')
		err_at(c, pf->fidx, pf->lineno, "unexpected text after ']'");
	name = strndup(li->name, li->namelen);
	if (!name) {
		c->oom = true;
		pf->sstate = SS_IGNORED;
		return;
	}
	if (strcmp(name, "sexton") == 0) {
		pf->sec = &c->sexton;
		pf->sstate = SS_OK;
	} else if (strcmp(name, "system") == 0) {
		pf->sec = &c->system;
		pf->sstate = SS_OK;
		c->system_present = true;
	} else if (strncmp(name, "service:", 8) == 0) {
		open_service(pf, name + 8);
	} else {
		char buf[SHOW_MAX + 4];

		err_at(c, pf->fidx, pf->lineno,
		       "unknown section [%s] (expected [sexton], [service:NAME] or [system])",
		       show(buf, name));
		pf->sstate = SS_IGNORED;
	}
	free(name);
}

static void
out_of_sync(struct pfile *pf)
{
	if (!pf->out_of_sync)
		err_at(pf->c, pf->fidx, pf->lineno,
		       "internal error: inih read this line differently than sexton expected");
	pf->out_of_sync = true;
}

static void
syntax_error(struct pfile *pf, const char *msg)
{
	if (!pf->first_syntax_line)
		pf->first_syntax_line = pf->lineno;
	err_at(pf->c, pf->fidx, pf->lineno, "%s", msg);
}

/* A line inih will see as it is. */
static void
take_line(struct pfile *pf, const struct lineinfo *li)
{
	switch (li->kind) {
	case LK_NONE:
		break;
	case LK_CONT:
		pf->want_handler = true;
		break;
	case LK_SECTION:
		pf->inih_prev_name = false;
		open_section(pf, li);
		break;
	case LK_BAD_SECTION:
		syntax_error(pf, "section header without ']'");
		pf->sstate = SS_IGNORED;
		pf->kv = NULL;
		break;
	case LK_KEY:
		pf->inih_prev_name = li->namelen > 0;
		pf->want_handler = true;
		break;
	case LK_NO_SEP:
		syntax_error(pf, "expected 'key = value', '[section]' or a comment");
		pf->kv = NULL;
		break;
	}
}

/*
 * A line inih must not see (too long, or holding a NUL): report it and
 * hand inih a stand-in that leaves its state as the real line would have,
 * so that the lines after it are read as the user meant them.
 */
static const char *
replace_line(struct pfile *pf, const struct lineinfo *li, const char *why, bool even_comment)
{
	char *name;

	if (li->kind == LK_NONE && !even_comment)
		return ""; /* a long comment loses nothing */
	err_at(pf->c, pf->fidx, pf->lineno, "%s", why);
	switch (li->kind) {
	case LK_NONE:
	case LK_NO_SEP:
		pf->kv = NULL;
		return "";
	case LK_CONT:
		if (pf->kv)
			pf->kv->broken = true;
		return "";
	case LK_SECTION:
	case LK_BAD_SECTION:
		pf->inih_prev_name = false;
		pf->sstate = SS_IGNORED;
		pf->kv = NULL;
		return "[]";
	case LK_KEY:
		/* Keep the key (duplicates, "missing command"), drop its value. */
		name = strndup(li->name, li->namelen < CFG_MAX_NAME ? li->namelen : CFG_MAX_NAME);
		if (!name) {
			pf->c->oom = true;
			pf->kv = NULL;
		} else {
			add_key(pf, name, "", true);
			free(name);
		}
		pf->inih_prev_name = true;
		pf->want_handler = true;
		pf->subst = true;
		return "_=";
	}
	return "";
}

/* inih's fgets: one physical line per call, numbered. */
static char *
cfg_reader(char *str, int num, void *stream)
{
	struct pfile *pf = stream;
	const char *line = pf->pos, *nl, *nul, *text;
	size_t len, max = num > 1 ? (size_t)num - 1 : 0;
	struct lineinfo li;
	char why[128];

	if (pf->want_handler)
		out_of_sync(pf); /* inih skipped a handler call we expected */
	pf->want_handler = false;
	pf->subst = false;
	if (pf->pos >= pf->end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(pf->end - line));
	len = (size_t)((nl ? nl : pf->end) - line);
	pf->pos = nl ? nl + 1 : pf->end;
	pf->lineno++;
	if (len && line[len - 1] == '\r')
		len--;
	nul = memchr(line, '\0', len);
	classify(line, nul ? (size_t)(nul - line) : len, pf->lineno == 1, pf->inih_prev_name,
		 &li);
	pf->kind = li.kind;
	if (nul) {
		text = replace_line(pf, &li, "line contains a NUL byte", true);
	} else if (len > max) {
		snprintf(why, sizeof(why),
			 "line too long (max %zu characters); split the value with indented "
			 "continuation lines",
			 max);
		text = replace_line(pf, &li, why, false);
	} else {
		memcpy(str, line, len);
		str[len] = '\0';
		/*
		 * inih r55 strips " ;" comments from key lines but hands
		 * continuation lines over whole: cut them here, so that " ;"
		 * starts a comment on every line.
		 */
		if (li.kind == LK_CONT)
			str[li.cut - line] = '\0';
		take_line(pf, &li);
		return str;
	}
	snprintf(str, (size_t)num, "%s", text);
	return str;
}

static int
on_ini_value(void *user, const char *section, const char *name, const char *value)
{
	struct pfile *pf = user;

	(void)section; /* ours is exact; inih truncates it to 49 characters */
	if (!pf->want_handler) {
		out_of_sync(pf);
		return 1;
	}
	pf->want_handler = false;
	if (pf->subst)
		return 1;
	if (pf->kind == LK_KEY)
		add_key(pf, name, value, false);
	else
		add_continuation(pf, value);
	return 1;
}

/* ---- files and includes ------------------------------------------------ */

static int
add_file(struct ctx *c, const char *name)
{
	char **nv;

	if (c->nfiles == c->capfiles) {
		size_t ncap = c->capfiles ? c->capfiles * 2 : 4;

		nv = realloc(c->files, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		c->files = nv;
		c->capfiles = ncap;
	}
	c->files[c->nfiles] = strdup(name);
	if (!c->files[c->nfiles])
		return -1;
	return (int)c->nfiles++;
}

/* The whole file (regfile.h), and when the errno alone would mislead,
 * *WHY. */
static int
read_file(const char *path, char **text, size_t *len, struct stat *st, const char **why)
{
	int rc = regfile_read(path, CFG_MAX_FILE_SIZE, text, len, st);

	*why = NULL;
	if (rc == -EINVAL)
		*why = S_ISDIR(st->st_mode) ? "is a directory" : "is not a regular file";
	else if (rc == -EFBIG)
		*why = "is larger than 1 MiB";
	return rc;
}

static void parse_path(struct ctx *c, const char *path, int from_fidx, int from_line);

/* PATTERN relative to the including file's directory. */
static char *
include_pattern(const struct ctx *c, int fidx, const char *pattern)
{
	const char *file = fname(c, fidx), *slash = strrchr(file, '/');
	size_t dlen;
	char *out;

	if (pattern[0] == '/' || !slash)
		return strdup(pattern);
	dlen = (size_t)(slash - file) + 1;
	out = malloc(dlen + strlen(pattern) + 1);
	if (!out)
		return NULL;
	memcpy(out, file, dlen);
	strcpy(out + dlen, pattern);
	return out;
}

static int
cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The files PATTERN matches, sorted, like glob(3) for wildcards in the
 * last path component only. Not glob(3) itself: glibc's glob links the
 * NSS user lookup (for ~user), which would pull ~300 kB of dynamic-loader
 * code into the static binary and break it in images without /etc.
 * Returns 0 (*N may be 0: no match is not an error), -ENOMEM, -EINVAL
 * (wildcard in a directory), or -errno of opendir.
 */
static int
match_include(const char *pattern, char ***paths, size_t *n)
{
	const char *slash = strrchr(pattern, '/');
	const char *base = slash ? slash + 1 : pattern;
	char *dir = slash ? strndup(pattern, (size_t)(slash - pattern) + 1) : strdup("./");
	char **v = NULL, **nv;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int rc = 0;

	*paths = NULL;
	*n = 0;
	if (!dir)
		return -ENOMEM;
	if (strpbrk(dir, "*?[")) {
		free(dir);
		return -EINVAL;
	}
	d = opendir(dir);
	if (!d) {
		rc = errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) && rc == 0) {
		if (fnmatch(base, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[*n] = malloc(strlen(dir) + strlen(de->d_name) + 1);
		if (!v[*n]) {
			rc = -ENOMEM;
			break;
		}
		strcpy(stpcpy(v[*n], slash ? dir : ""), de->d_name);
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_paths);
	*paths = v;
	return rc;
}

static void
include_one(struct ctx *c, const struct rkv *kv, const char *word)
{
	char *pattern = include_pattern(c, kv->fidx, word);
	char **paths = NULL;
	size_t i, n = 0;
	int rc;

	if (!pattern) {
		c->oom = true;
		return;
	}
	rc = match_include(pattern, &paths, &n);
	if (rc == -ENOMEM)
		c->oom = true;
	else if (rc == -EINVAL)
		err_at(c, kv->fidx, kv->line,
		       "include: '%s': wildcards are allowed in the file name only", word);
	else if (rc < 0)
		err_at(c, kv->fidx, kv->line, "include: cannot read the directory of '%s': %s",
		       pattern, strerror(-rc));
	for (i = 0; rc == 0 && i < n && !c->oom; i++)
		parse_path(c, paths[i], kv->fidx, kv->line);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(pattern);
}

static void
process_includes(struct ctx *c, const struct rkv *kv)
{
	const char *why;
	char **words;
	size_t i;
	int rc;

	for (; kv && !c->oom; kv = kv->next) {
		if (kv->broken || !*kv->value)
			continue;
		rc = cfgw_split(kv->value, &words, NULL, &why);
		if (rc == -ENOMEM)
			c->oom = true;
		if (rc == -EINVAL)
			err_at(c, kv->fidx, kv->line, "include: %s", why);
		if (rc < 0)
			continue;
		for (i = 0; words[i]; i++)
			include_one(c, kv, words[i]);
		cfgw_free(words);
	}
}

/* Run inih over one file's text, then read what it includes. */
static void
parse_text(struct ctx *c, int fidx, const char *text, size_t len)
{
	struct pfile pf = { 0 };
	int rc;

	pf.c = c;
	pf.fidx = fidx;
	pf.pos = text;
	pf.end = text + len;
	pf.inc_tail = &pf.includes;
	pf.sstate = SS_NONE;
	rc = ini_parse_stream(cfg_reader, &pf, on_ini_value, &pf);
	if (pf.want_handler || pf.pos != pf.end)
		out_of_sync(&pf);
	if (rc == -2)
		c->oom = true;
	else if (rc != pf.first_syntax_line)
		out_of_sync(&pf);
	process_includes(c, pf.includes);
	free_kvs(pf.includes);
}

static bool
being_read(const struct ctx *c, const struct stat *st)
{
	int i;

	for (i = 0; i <= c->depth; i++)
		if (c->stack[i].known && c->stack[i].dev == st->st_dev &&
		    c->stack[i].ino == st->st_ino)
			return true;
	return false;
}

/* Read and parse PATH, included from FROM_FIDX:FROM_LINE (-1: top level). */
static void
parse_path(struct ctx *c, const char *path, int from_fidx, int from_line)
{
	const char *why = NULL;
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int fidx, rc;

	if (from_fidx >= 0 && c->depth >= CFG_MAX_INCLUDE_DEPTH) {
		err_at(c, from_fidx, from_line,
		       "include: nested more than %d levels deep (include loop?) at %s",
		       CFG_MAX_INCLUDE_DEPTH, path);
		return;
	}
	if (c->nfiles >= CFG_MAX_FILES) {
		if (!c->too_many_files)
			err_at(c, from_fidx, from_line, "include: more than %d files",
			       CFG_MAX_FILES);
		c->too_many_files = true;
		return;
	}
	rc = read_file(path, &text, &len, &st, &why);
	if (rc == -ENOMEM) {
		c->oom = true;
		return;
	}
	if (rc < 0) {
		/* The top-level file is named by its own error; an include by its line. */
		if (from_fidx >= 0) {
			err_at(c, from_fidx, from_line, "include: %s %s", path,
			       why ? why : strerror(-rc));
		} else if ((fidx = add_file(c, path)) < 0) {
			c->oom = true;
		} else {
			err_at(c, fidx, 0, "cannot read: %s", why ? why : strerror(-rc));
		}
		return;
	}
	if (from_fidx >= 0 && being_read(c, &st)) {
		err_at(c, from_fidx, from_line, "include loop: %s is already being read", path);
		free(text);
		return;
	}
	fidx = add_file(c, path);
	if (fidx < 0) {
		c->oom = true;
		free(text);
		return;
	}
	if (from_fidx >= 0)
		c->depth++;
	c->stack[c->depth] = (struct file_id){ st.st_dev, st.st_ino, true };
	parse_text(c, fidx, text, len);
	c->stack[c->depth].known = false;
	if (from_fidx >= 0)
		c->depth--;
	free(text);
}

/* ---- pass 2: values ---------------------------------------------------- */

struct target {
	struct cfg *cfg;
	struct cfg_service *svc; /* NULL outside [service:] */
};

static void __attribute__((format(printf, 3, 4)))
kv_err(struct ctx *c, const struct rkv *kv, const char *fmt, ...)
{
	char msg[sizeof(((struct cfg_error *)0)->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_at(c, kv->fidx, kv->line, "%s: %s", kv->key, msg);
}

static void
bad_value(struct ctx *c, const struct rkv *kv, const char *expected)
{
	char buf[SHOW_MAX + 4];

	kv_err(c, kv, "invalid value '%s' (expected %s)", show(buf, kv->value), expected);
}

static bool
parse_duration(const char *s, double *out)
{
	double v = 0, frac = 0, div = 1;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		v = v * 10 + (*s - '0');
		if (v > CFG_MAX_SECONDS)
			return false;
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
			if (div < 1e15) {
				frac = frac * 10 + (*s - '0');
				div *= 10;
			}
	if (!digits || *s)
		return false;
	*out = v + frac / div;
	return true;
}

static bool
get_duration(struct ctx *c, const struct rkv *kv, double *out)
{
	if (parse_duration(kv->value, out))
		return true;
	bad_value(c, kv, "seconds, e.g. 10 or 0.5");
	return false;
}

static bool
parse_ull(const char **sp, unsigned long long max, unsigned long long *out)
{
	const char *s = *sp;
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*sp = s;
	*out = v;
	return true;
}

static bool
get_number(struct ctx *c, const struct rkv *kv, unsigned long long min, unsigned long long max,
	   unsigned long long *out)
{
	const char *s = kv->value;
	char expected[80];

	if (parse_ull(&s, max, out) && !*s && *out >= min)
		return true;
	snprintf(expected, sizeof(expected), "a number from %llu to %llu", min, max);
	bad_value(c, kv, expected);
	return false;
}

static bool
parse_size(const char *s, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	const char *u;
	char up;

	if (!parse_ull(&s, ULLONG_MAX, &v))
		return false;
	up = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
	if (up && (u = strchr(units, up))) {
		mul <<= 10 * (u - units + 1);
		s++;
		if (*s == 'i')
			s++;
	}
	if (*s == 'B')
		s++;
	if (*s || (mul > 1 && v > ULLONG_MAX / mul))
		return false;
	*out = v * mul;
	return true;
}

static bool
get_bool(struct ctx *c, const struct rkv *kv, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(kv->value, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(kv->value, no[i]) == 0)
			return *out = false, true;
	}
	bad_value(c, kv, "yes or no");
	return false;
}

/* NAMES is NULL-terminated; EXPECTED lists them for the message. */
static bool
get_enum(struct ctx *c, const struct rkv *kv, const char *const *names, const char *expected,
	 int *out)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(kv->value, names[i]) == 0)
			return *out = i, true;
	bad_value(c, kv, expected);
	return false;
}

static bool
get_octal(struct ctx *c, const struct rkv *kv, int max, const char *expected, int *out)
{
	const char *s = kv->value;
	int v = 0;

	for (; *s >= '0' && *s <= '7' && v <= max; s++)
		v = v * 8 + (*s - '0');
	if (s == kv->value || *s || v > max || s - kv->value > 4) {
		bad_value(c, kv, expected);
		return false;
	}
	*out = v;
	return true;
}

static bool
get_abs_path(struct ctx *c, const struct rkv *kv, char **out)
{
	char buf[SHOW_MAX + 4];

	if (kv->value[0] != '/') {
		kv_err(c, kv, "'%s' is not an absolute path", show(buf, kv->value));
		return false;
	}
	free(*out);
	*out = strdup(kv->value);
	if (!*out)
		c->oom = true;
	return *out != NULL;
}

static bool
get_words(struct ctx *c, const struct rkv *kv, char ***words, size_t *n)
{
	const char *why;
	int rc = cfgw_split(kv->value, words, n, &why);

	if (rc == -ENOMEM)
		c->oom = true;
	else if (rc < 0)
		kv_err(c, kv, "%s", why);
	return rc == 0;
}

static bool
get_string(struct ctx *c, const char *value, char **out)
{
	free(*out);
	*out = strdup(value);
	if (!*out)
		c->oom = true;
	return *out != NULL;
}

static struct udb *
get_udb(struct ctx *c)
{
	if (c->udb_state == 0)
		c->udb_state = udb_load(&c->udb, c->etc_dir) < 0 ? -1 : 1;
	if (c->udb_state < 0) {
		c->oom = true;
		return NULL;
	}
	return &c->udb;
}

/* " (not in DIR/FILE)" or " (cannot read DIR/FILE: reason)". */
static void
db_note(const struct ctx *c, const char *file, int file_errno, char *buf, size_t len)
{
	if (file_errno)
		snprintf(buf, len, " (cannot read %s/%s: %s)", c->etc_dir, file,
			 file_errno == EINVAL ? "not a regular file" : strerror(file_errno));
	else
		snprintf(buf, len, " (not in %s/%s)", c->etc_dir, file);
}

static bool
resolve_group(struct ctx *c, const struct rkv *kv, gid_t *gid)
{
	const struct udb_group *g;
	struct udb *db = get_udb(c);
	char note[400], buf[SHOW_MAX + 4];
	unsigned id;

	if (!db)
		return false;
	g = udb_group_by_name(db, kv->value);
	if (g) {
		*gid = g->gid;
		return true;
	}
	if (udb_parse_id(kv->value, &id) == 0) {
		*gid = id;
		return true;
	}
	db_note(c, "group", db->group_errno, note, sizeof(note));
	kv_err(c, kv, "unknown group '%s'%s", show(buf, kv->value), note);
	return false;
}

/* ---- [sexton] ---- */

static void
sx_socket(struct ctx *c, struct target *t, const struct rkv *kv)
{
	if (kv->len > CFG_MAX_SOCKET_PATH)
		kv_err(c, kv, "path longer than %d bytes", CFG_MAX_SOCKET_PATH);
	else
		get_abs_path(c, kv, &t->cfg->socket);
}

static void
sx_socket_mode(struct ctx *c, struct target *t, const struct rkv *kv)
{
	if (get_octal(c, kv, 0777, "an octal mode, e.g. 0660", &t->cfg->socket_mode))
		c->socket_mode_set = true;
}

static void
sx_socket_group(struct ctx *c, struct target *t, const struct rkv *kv)
{
	t->cfg->has_socket_group = resolve_group(c, kv, &t->cfg->socket_group);
}

static void
sx_log_level(struct ctx *c, struct target *t, const struct rkv *kv)
{
	static const char *const names[] = { "error", "warn", "info", "debug", NULL };

	get_enum(c, kv, names, "error, warn, info or debug", &t->cfg->log_level);
}

static void
sx_stop_timeout(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->cfg->stop_timeout);
}

static void
sx_kill_timeout(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->cfg->kill_timeout);
}

static void
sx_watch_interval(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->cfg->watch_interval);
}

static void
sx_hung_threshold(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->cfg->hung_threshold);
}

/* ---- [system] ---- */

static void
sys_hostname(struct ctx *c, struct target *t, const struct rkv *kv)
{
	const char *p;

	for (p = kv->value; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
			    *p))
			break;
	if (*p || kv->len > 64 || kv->value[0] == '-' || kv->value[0] == '.') {
		bad_value(c, kv, "letters, digits, '-' and '.', at most 64 characters");
		return;
	}
	get_string(c, kv->value, &t->cfg->system.hostname);
}

/* mount -o's flag words; the others go to the file system as data. */
static const struct {
	const char *word;
	unsigned long set, clear;
} mount_flag_words[] = {
	{ "ro", MS_RDONLY, 0 },	       { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },    { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },      { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },    { "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },  { "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "strictatime", MS_STRICTATIME, 0 }, { "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS }, { "dirsync", MS_DIRSYNC, 0 },
	{ "defaults", 0, 0 },
};

/* OPTS ("nosuid,mode=0755,size=1m") into M's flags and data. */
static bool
parse_mount_options(const char *opts, struct cfg_mount *m)
{
	size_t n = strlen(opts), len, i, used = 0;
	const char *w, *end;

	if (!(m->data = malloc(n + 1)))
		return false;
	for (w = opts; *w; w = *end ? end + 1 : end) {
		end = strchr(w, ',');
		end = end ? end : w + strlen(w);
		len = (size_t)(end - w);
		for (i = 0; i < sizeof(mount_flag_words) / sizeof(mount_flag_words[0]); i++)
			if (strlen(mount_flag_words[i].word) == len &&
			    strncmp(w, mount_flag_words[i].word, len) == 0)
				break;
		if (i < sizeof(mount_flag_words) / sizeof(mount_flag_words[0])) {
			m->flags = (m->flags | mount_flag_words[i].set) & ~mount_flag_words[i].clear;
		} else if (len) {
			if (used)
				m->data[used++] = ',';
			memcpy(m->data + used, w, len);
			used += len;
		}
	}
	m->data[used] = '\0';
	if (!used) {
		free(m->data);
		m->data = NULL;
	}
	return true;
}

/* One spelling per target, as the kernel's mountinfo writes it: "/mnt//x/"
 * is "/mnt/x", so that whether one mount goes under another can be read
 * off the text (system.c). False for a "." or ".." component, which would
 * need the file system to resolve. */
static bool
canonical_target(char *path)
{
	char *w = path;
	const char *r = path, *end;
	size_t n;

	while (*r) {
		if (*r == '/') {
			*w++ = '/';
			r += strspn(r, "/");
			continue;
		}
		end = strchrnul(r, '/');
		n = (size_t)(end - r);
		if ((n == 1 && r[0] == '.') || (n == 2 && r[0] == '.' && r[1] == '.'))
			return false;
		memmove(w, r, n);
		w += n;
		r = end;
	}
	if (w > path + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return true;
}

/* Frees what a slot holds and empties it, so that a refused entry's slot
 * can be taken by the next one. */
static void
clear_mount(struct cfg_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->fstype);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/* "source:target:fstype[:options]"; the options may hold ':' themselves
 * (an SELinux context=). */
static bool
parse_mount(struct ctx *c, const struct rkv *kv, const char *word, struct cfg_mount *m)
{
	const char *a = strchr(word, ':'), *b = a ? strchr(a + 1, ':') : NULL;
	const char *t = b ? strchr(b + 1, ':') : NULL;
	char buf[SHOW_MAX + 4];

	if (!a || !b || a == word || b[1] == '\0' || b[1] == ':') {
		kv_err(c, kv, "'%s' is not SOURCE:TARGET:FSTYPE[:OPTIONS]", show(buf, word));
		return false;
	}
	if (a[1] != '/') {
		kv_err(c, kv, "target of '%s' is not an absolute path", show(buf, word));
		return false;
	}
	m->target = strndup(a + 1, (size_t)(b - a - 1));
	if (m->target && !canonical_target(m->target)) {
		kv_err(c, kv, "target of '%s' has a '.' or '..' component", show(buf, word));
		clear_mount(m);
		return false;
	}
	m->source = strndup(word, (size_t)(a - word));
	m->fstype = t ? strndup(b + 1, (size_t)(t - b - 1)) : strdup(b + 1);
	if (!m->source || !m->target || !m->fstype || (t && !parse_mount_options(t + 1, m))) {
		c->oom = true;
		clear_mount(m);
		return false;
	}
	return true;
}

static void
free_mounts(struct cfg_mount *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		clear_mount(&m[i]);
	free(m);
}

static void
sys_mounts(struct ctx *c, struct target *t, const struct rkv *kv)
{
	struct cfg_system *sys = &t->cfg->system;
	struct cfg_mount *m;
	char **words;
	size_t i, n, ok = 0;

	if (!get_words(c, kv, &words, &n))
		return;
	m = calloc(n ? n : 1, sizeof(*m));
	if (!m) {
		c->oom = true;
		cfgw_free(words);
		return;
	}
	for (i = 0; i < n; i++)
		if (parse_mount(c, kv, words[i], &m[ok]))
			ok++;
	cfgw_free(words);
	if (ok < n) {
		free_mounts(m, n);
		return;
	}
	free_mounts(sys->mounts, sys->nmounts);
	sys->mounts = m;
	sys->nmounts = n;
}

static void
sys_mount_timeout(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->cfg->system.mount_timeout);
}

static void
sys_ctrl_alt_del(struct ctx *c, struct target *t, const struct rkv *kv)
{
	static const char *const names[] = { "reboot", "poweroff", "ignore", NULL };
	int v;

	if (get_enum(c, kv, names, "reboot, poweroff or ignore", &v))
		t->cfg->system.ctrl_alt_del = (enum cfg_cad)v;
}

/* ---- [service:NAME] ---- */

static void
svc_command(struct ctx *c, struct target *t, const struct rkv *kv)
{
	struct cfg_service *s = t->svc;
	char **argv;
	size_t n;

	if (!get_words(c, kv, &argv, &n))
		return;
	if (n == 0 || argv[0][0] == '\0') {
		kv_err(c, kv, n == 0 ? "empty command" : "empty program name");
		cfgw_free(argv);
		return;
	}
	if (!get_string(c, kv->value, &s->command)) {
		cfgw_free(argv);
		return;
	}
	cfgw_free(s->argv);
	s->argv = argv;
}

static void
svc_type(struct ctx *c, struct target *t, const struct rkv *kv)
{
	static const char *const names[] = { "simple", "notify", "oneshot", NULL };
	int v;

	if (get_enum(c, kv, names, "simple, notify or oneshot", &v))
		t->svc->type = (enum svc_type)v;
}

static void
svc_autostart(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_bool(c, kv, &t->svc->autostart);
}

static void
svc_restart(struct ctx *c, struct target *t, const struct rkv *kv)
{
	static const char *const names[] = { "always", "on-failure", "never", NULL };
	int v;

	if (get_enum(c, kv, names, "always, on-failure or never", &v))
		t->svc->restart = (enum svc_restart)v;
}

static void
svc_restart_delay(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->svc->restart_delay);
}

static void
svc_restart_delay_max(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->svc->restart_delay_max);
}

static void
svc_start_limit(struct ctx *c, struct target *t, const struct rkv *kv)
{
	const char *s = kv->value, *slash = strchr(s, '/');
	unsigned long long burst;
	double interval;

	if (!slash || !parse_ull(&s, UINT_MAX, &burst) || s != slash ||
	    !parse_duration(slash + 1, &interval) || interval <= 0) {
		bad_value(c, kv, "COUNT/SECONDS, e.g. 5/60");
		return;
	}
	t->svc->start_limit_burst = (unsigned)burst;
	t->svc->start_limit_interval = interval;
}

static void
svc_stop_signal(struct ctx *c, struct target *t, const struct rkv *kv)
{
	char buf[SHOW_MAX + 4];
	int sig = sig_parse(kv->value);

	if (sig <= 0) {
		kv_err(c, kv, "unknown signal '%s'", show(buf, kv->value));
		return;
	}
	t->svc->stop_signal = sig;
}

static void
svc_stop_timeout(struct ctx *c, struct target *t, const struct rkv *kv)
{
	if (get_duration(c, kv, &t->svc->stop_timeout))
		t->svc->stop_timeout_set = true;
}

static void
svc_ready_timeout(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->svc->ready_timeout);
}

static void
svc_watchdog(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_duration(c, kv, &t->svc->watchdog);
}

static void
svc_ready_fd(struct ctx *c, struct target *t, const struct rkv *kv)
{
	unsigned long long fd;

	if (get_number(c, kv, 3, CFG_MAX_FD, &fd))
		t->svc->ready_fd = (int)fd;
}

static void
svc_critical(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_bool(c, kv, &t->svc->critical);
}

static void
svc_depends(struct ctx *c, struct target *t, const struct rkv *kv)
{
	struct cfg_service *s = t->svc;
	char **words;
	size_t i, j, n, out = 0;

	if (!get_words(c, kv, &words, &n))
		return;
	/* Drop repeats: "a a" is one dependency. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < out && strcmp(words[j], words[i]) != 0; j++)
			;
		if (j < out) {
			free(words[i]);
			continue;
		}
		words[out++] = words[i];
	}
	words[out] = NULL;
	cfgw_free(s->depends);
	s->depends = words;
	s->ndepends = out;
}

static void
svc_directory(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_abs_path(c, kv, &t->svc->directory);
}

static bool
valid_env_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
			    s[i]))
			return false;
	return true;
}

static void
svc_environment(struct ctx *c, struct target *t, const struct rkv *kv)
{
	char **words, buf[SHOW_MAX + 4];
	size_t i, j, n, out = 0;

	if (!get_words(c, kv, &words, &n))
		return;
	/* Compact in place: slots below OUT are kept words, the rest NULL. */
	for (i = 0; i < n; i++) {
		char *w = words[i];
		const char *eq = strchr(w, '=');
		size_t nlen = eq ? (size_t)(eq - w) : 0;

		words[i] = NULL;
		if (!eq || !valid_env_name(w, nlen)) {
			kv_err(c, kv, eq ? "invalid variable name in '%s'" : "'%s' is not KEY=VALUE",
			       show(buf, w));
			free(w);
			continue;
		}
		/* A later KEY replaces an earlier one, as in a shell. */
		for (j = 0; j < out && strncmp(words[j], w, nlen + 1) != 0; j++)
			;
		if (j < out)
			free(words[j]);
		else
			out++;
		words[j] = w;
	}
	cfgw_free(t->svc->env);
	t->svc->env = words;
}

static void
svc_environment_file(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_abs_path(c, kv, &t->svc->environment_file);
}

static void
svc_umask(struct ctx *c, struct target *t, const struct rkv *kv)
{
	get_octal(c, kv, 0777, "an octal mask, e.g. 022", &t->svc->umask);
}

static void
svc_rlimit_nofile(struct ctx *c, struct target *t, const struct rkv *kv)
{
	unsigned long long v;

	if (get_number(c, kv, 1, CFG_MAX_NOFILE, &v))
		t->svc->rlimit_nofile = (long)v;
}

static void
svc_output(struct ctx *c, struct target *t, const struct rkv *kv)
{
	static const char *const names[] = { "inherit", "tagged", "null", NULL };
	struct cfg_service *s = t->svc;
	char buf[SHOW_MAX + 4];
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(kv->value, names[i]) == 0) {
			s->output = (enum svc_output)i;
			return;
		}
	if (strncmp(kv->value, "file:", 5) != 0) {
		bad_value(c, kv, "inherit, tagged, null or file:/PATH");
		return;
	}
	if (kv->value[5] != '/') {
		kv_err(c, kv, "file path '%s' is not absolute", show(buf, kv->value + 5));
		return;
	}
	if (get_string(c, kv->value + 5, &s->output_path))
		s->output = OUT_FILE;
}

static void
svc_log_max_size(struct ctx *c, struct target *t, const struct rkv *kv)
{
	if (!parse_size(kv->value, &t->svc->log_max_size))
		bad_value(c, kv, "a size in bytes, or with K, M, G or T, e.g. 10M");
}

static void
svc_log_keep(struct ctx *c, struct target *t, const struct rkv *kv)
{
	unsigned long long v;

	if (get_number(c, kv, 0, CFG_MAX_LOG_KEEP, &v))
		t->svc->log_keep = (unsigned)v;
}

typedef void (*key_fn)(struct ctx *, struct target *, const struct rkv *);

/* The keys of each section: the only list of them. */
struct key_def {
	const char *name;
	key_fn fn; /* NULL: handled elsewhere (include, user, group) */
};

static const struct key_def sexton_defs[] = {
	{ "socket", sx_socket },
	{ "socket_mode", sx_socket_mode },
	{ "socket_group", sx_socket_group },
	{ "log_level", sx_log_level },
	{ "stop_timeout", sx_stop_timeout },
	{ "kill_timeout", sx_kill_timeout },
	{ "watch_interval", sx_watch_interval },
	{ "hung_threshold", sx_hung_threshold },
	{ "include", NULL },
	{ NULL, NULL },
};

static const struct key_def system_defs[] = {
	{ "hostname", sys_hostname },
	{ "mounts", sys_mounts },
	{ "mount_timeout", sys_mount_timeout },
	{ "ctrl_alt_del", sys_ctrl_alt_del },
	{ NULL, NULL },
};

static const struct key_def service_defs[] = {
	{ "command", svc_command },
	{ "type", svc_type },
	{ "autostart", svc_autostart },
	{ "restart", svc_restart },
	{ "restart_delay", svc_restart_delay },
	{ "restart_delay_max", svc_restart_delay_max },
	{ "start_limit", svc_start_limit },
	{ "stop_signal", svc_stop_signal },
	{ "stop_timeout", svc_stop_timeout },
	{ "ready_timeout", svc_ready_timeout },
	{ "watchdog", svc_watchdog },
	{ "ready_fd", svc_ready_fd },
	{ "critical", svc_critical },
	{ "depends", svc_depends },
	{ "user", NULL },
	{ "group", NULL },
	{ "directory", svc_directory },
	{ "environment", svc_environment },
	{ "environment_file", svc_environment_file },
	{ "umask", svc_umask },
	{ "rlimit_nofile", svc_rlimit_nofile },
	{ "output", svc_output },
	{ "log_max_size", svc_log_max_size },
	{ "log_keep", svc_log_keep },
	{ NULL, NULL },
};

static const struct key_def *
find_def(const struct key_def *defs, const char *key)
{
	for (; defs->name; defs++)
		if (strcmp(defs->name, key) == 0)
			return defs;
	return NULL;
}

static bool
key_known(enum sec_kind kind, const char *key)
{
	switch (kind) {
	case SEC_SEXTON:
		return find_def(sexton_defs, key) != NULL;
	case SEC_SYSTEM:
		return find_def(system_defs, key) != NULL;
	case SEC_SERVICE:
		return find_def(service_defs, key) != NULL;
	}
	return false;
}

static void
apply_keys(struct ctx *c, const struct rsec *sec, const struct key_def *defs, struct target *t)
{
	const struct key_def *d;
	const struct rkv *kv;

	for (kv = sec->head; kv && !c->oom; kv = kv->next) {
		/* An empty value means the default; command has none. */
		if (kv->broken || (!*kv->value && strcmp(kv->key, "command") != 0))
			continue;
		d = find_def(defs, kv->key);
		if (d && d->fn)
			d->fn(c, t, kv);
	}
}

/* A key with a usable value, or NULL. */
static const struct rkv *
set_kv(const struct rsec *sec, const char *key)
{
	const struct rkv *kv = find_kv(sec, key);

	return kv && !kv->broken && *kv->value ? kv : NULL;
}

static void
resolve_user(struct ctx *c, struct cfg_service *s, const struct rkv *ukv, bool group_set)
{
	const struct udb_user *u;
	struct udb *db = get_udb(c);
	char note[400], buf[SHOW_MAX + 4];
	unsigned id;
	int rc;

	if (!db)
		return;
	u = udb_user_by_name(db, ukv->value);
	if (!u && udb_parse_id(ukv->value, &id) == 0)
		u = udb_user_by_uid(db, id);
	if (u) {
		s->uid = u->uid;
		if (!group_set)
			s->gid = u->gid;
		get_string(c, u->name, &s->user);
		if (u->home)
			get_string(c, u->home, &s->home);
	} else if (udb_parse_id(ukv->value, &id) == 0) {
		if (!group_set) {
			kv_err(c, ukv, "uid %u has no entry in %s/passwd to give its group; set group too",
			       id, c->etc_dir);
			return;
		}
		s->uid = id;
		get_string(c, ukv->value, &s->user);
	} else {
		db_note(c, "passwd", db->passwd_errno, note, sizeof(note));
		kv_err(c, ukv, "unknown user '%s'%s", show(buf, ukv->value), note);
		return;
	}
	s->has_user = true;
	s->has_group = true;
	if (!s->user)
		return; /* out of memory */
	rc = udb_user_groups(db, s->user, s->gid, &s->groups, &s->ngroups);
	if (rc < 0)
		c->oom = true;
}

static void
resolve_credentials(struct ctx *c, struct cfg_service *s, const struct rsec *sec)
{
	const struct rkv *ukv = set_kv(sec, "user"), *gkv = set_kv(sec, "group");

	/* Both are checked, so both errors are told at once. */
	if (gkv && resolve_group(c, gkv, &s->gid))
		s->has_group = true;
	if (ukv)
		resolve_user(c, s, ukv, gkv != NULL);
}

static void
service_defaults(struct cfg_service *s)
{
	s->type = SVC_SIMPLE;
	s->autostart = true;
	s->restart = RESTART_ON_FAILURE;
	s->restart_delay = 1;
	s->restart_delay_max = 60;
	s->start_limit_burst = 5;
	s->start_limit_interval = 60;
	s->stop_signal = SIGTERM;
	s->ready_timeout = 30;
	s->ready_fd = -1;
	s->umask = -1;
	s->rlimit_nofile = -1;
	s->output = OUT_INHERIT;
	s->log_max_size = 10ULL << 20;
	s->log_keep = 5;
}

/* Checks that need the whole service. */
static void
check_service(struct ctx *c, const struct cfg_service *s, const struct rsec *sec)
{
	const struct rkv *kv;

	if (!find_kv(sec, "command"))
		err_at(c, sec->fidx, sec->line, "service %s: missing command", s->name);
	if (s->type != SVC_NOTIFY) {
		if ((kv = set_kv(sec, "ready_fd")) && s->ready_fd >= 0)
			kv_err(c, kv, "only valid with type = notify");
		if ((kv = set_kv(sec, "watchdog")) && s->watchdog > 0)
			kv_err(c, kv, "only valid with type = notify");
	}
	if (s->restart_delay_max < s->restart_delay) {
		if ((kv = set_kv(sec, "restart_delay_max")))
			kv_err(c, kv, "%g is less than restart_delay (%g)", s->restart_delay_max,
			       s->restart_delay);
		else if ((kv = set_kv(sec, "restart_delay")))
			kv_err(c, kv, "%g is more than restart_delay_max (%g)", s->restart_delay,
			       s->restart_delay_max);
	}
}

static void
build_service(struct ctx *c, struct cfg *cfg, size_t i)
{
	const struct rsec *sec = c->svcs[i];
	struct cfg_service *s = &cfg->services[i];
	struct target t = { cfg, s };

	service_defaults(s);
	if (!get_string(c, sec->name, &s->name) || !get_string(c, fname(c, sec->fidx), &s->file))
		return;
	s->line = sec->line;
	apply_keys(c, sec, service_defs, &t);
	resolve_credentials(c, s, sec);
	if (!s->env) {
		s->env = calloc(1, sizeof(*s->env));
		if (!s->env)
			c->oom = true;
	}
	check_service(c, s, sec);
}

/* ---- dependencies ------------------------------------------------------ */

struct frame {
	size_t v, k; /* service, next dependency to look at */
};

/* Called on a back edge: STACK[FROM..DEPTH-1] then FROM again is a cycle. */
typedef void (*cycle_fn)(void *arg, const struct cfg *cfg, const struct frame *stack,
			 size_t depth, size_t from);

static size_t
service_index(const struct cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].name && strcmp(cfg->services[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * Depth-first, dependencies before dependents, roots in declaration
 * order. With ON_CYCLE, report each back edge and go on (unknown names
 * are skipped: they were reported already); without, fail at the first
 * cycle or unknown name. ORDER may be NULL.
 */
static int
dfs_order(const struct cfg *cfg, size_t *order, cycle_fn on_cycle, void *arg)
{
	size_t n = cfg->nservices, root, depth, pos = 0, u;
	struct frame *stack;
	unsigned char *state; /* 0 new, 1 on the stack, 2 done */
	int rc = 0;

	if (n == 0)
		return 0;
	stack = malloc(n * sizeof(*stack));
	state = calloc(n, 1);
	if (!stack || !state) {
		free(stack);
		free(state);
		return -ENOMEM;
	}
	for (root = 0; root < n && rc == 0; root++) {
		if (state[root])
			continue;
		depth = 0;
		stack[depth++] = (struct frame){ root, 0 };
		state[root] = 1;
		while (depth && rc == 0) {
			struct frame *f = &stack[depth - 1];
			const struct cfg_service *s = &cfg->services[f->v];

			if (f->k == s->ndepends) {
				state[f->v] = 2;
				if (order)
					order[pos++] = f->v;
				depth--;
				continue;
			}
			u = service_index(cfg, s->depends[f->k++]);
			if (u == SIZE_MAX) {
				if (!on_cycle)
					rc = -1;
			} else if (state[u] == 0) {
				state[u] = 1;
				stack[depth++] = (struct frame){ u, 0 };
			} else if (state[u] == 1) {
				size_t from = 0;

				while (stack[from].v != u)
					from++;
				if (on_cycle)
					on_cycle(arg, cfg, stack, depth, from);
				else
					rc = -1;
			}
		}
	}
	free(stack);
	free(state);
	return rc;
}

static void
report_cycle(void *arg, const struct cfg *cfg, const struct frame *stack, size_t depth,
	     size_t from)
{
	struct ctx *c = arg;
	const struct cfg_service *first = &cfg->services[stack[from].v];
	char msg[sizeof(((struct cfg_error *)0)->msg)];
	size_t i, len;

	len = (size_t)snprintf(msg, sizeof(msg), "dependency cycle: ");
	for (i = from; i <= depth && len < sizeof(msg); i++) {
		const char *name = cfg->services[stack[i < depth ? i : from].v].name;

		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", name,
					i < depth ? " -> " : "");
	}
	err_at(c, c->svcs[stack[from].v]->fidx, first->line, "%s", msg);
}

static void
check_dependencies(struct ctx *c, struct cfg *cfg)
{
	size_t i, k;

	for (i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		const struct rkv *kv = find_kv(c->svcs[i], "depends");

		for (k = 0; k < s->ndepends && kv; k++)
			if (service_index(cfg, s->depends[k]) == SIZE_MAX)
				kv_err(c, kv, "unknown service '%s'", s->depends[k]);
	}
	if (dfs_order(cfg, NULL, report_cycle, c) == -ENOMEM)
		c->oom = true;
}

/* ---- the whole configuration ------------------------------------------- */

static void
cfg_defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_mode = 0600;
	cfg->log_level = 2;
	cfg->stop_timeout = 10;
	cfg->kill_timeout = 5;
	cfg->watch_interval = 0;
	cfg->hung_threshold = 30;
	cfg->system.mount_timeout = 30;
	cfg->system.ctrl_alt_del = CAD_REBOOT;
}

static void
build(struct ctx *c, struct cfg *cfg)
{
	struct target t = { cfg, NULL };
	size_t i;

	apply_keys(c, &c->sexton, sexton_defs, &t);
	if (cfg->has_socket_group && !c->socket_mode_set)
		cfg->socket_mode = 0660;
	cfg->system.present = c->system_present;
	apply_keys(c, &c->system, system_defs, &t);
	if (c->nsvcs) {
		cfg->services = calloc(c->nsvcs, sizeof(*cfg->services));
		if (!cfg->services) {
			c->oom = true;
			return;
		}
		cfg->nservices = c->nsvcs;
	}
	for (i = 0; i < cfg->nservices && !c->oom; i++)
		build_service(c, cfg, i);
	if (c->oom)
		return;
	for (i = 0; i < cfg->nservices; i++)
		if (!cfg->services[i].stop_timeout_set)
			cfg->services[i].stop_timeout = cfg->stop_timeout;
	check_dependencies(c, cfg);
}

static void
ctx_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->errs);
	free_kvs(c->sexton.head);
	free_kvs(c->system.head);
	for (i = 0; i < c->nsvcs; i++) {
		free_kvs(c->svcs[i]->head);
		free(c->svcs[i]->name);
		free(c->svcs[i]);
	}
	free(c->svcs);
	if (c->udb_state > 0)
		udb_free(&c->udb);
}

static void
ctx_init(struct ctx *c, const char *etc_dir, const char *top)
{
	memset(c, 0, sizeof(*c));
	c->etc_dir = etc_dir ? etc_dir : "/etc";
	c->top = top;
	c->sexton.kind = SEC_SEXTON;
	c->sexton.tail = &c->sexton.head;
	c->system.kind = SEC_SYSTEM;
	c->system.tail = &c->system.head;
}

/*
 * Pass 2 and the verdict; PATH or TEXT was parsed by the caller.
 * ERRS_WAS_EMPTY: ERRS held no array before, so a success gives it back
 * as it came (callers need not free ERRS after a success).
 */
static int
finish(struct ctx *c, struct cfg *out, struct cfg_errors *errs, bool errs_was_empty)
{
	if (!c->oom)
		build(c, out);
	if (c->oom || c->nerrs || c->errs_dropped) {
		flush_errors(c, errs);
		cfg_free(out);
		ctx_free(c);
		return -1;
	}
	ctx_free(c);
	if (errs_was_empty)
		cfg_errors_free(errs);
	return 0;
}

/* Out of memory before the first error could be kept: the caller sees -1
 * and no error (config.h), and *OUT owns nothing, as after any error. */
static int
no_room_for_errors(struct cfg *out)
{
	memset(out, 0, sizeof(*out));
	return -1;
}

int
cfg_parse_file(const char *path, const char *etc_dir, struct cfg *out, struct cfg_errors *errs)
{
	bool was_empty = errs->v == NULL;
	struct ctx c;

	/* Room for one error now, so "out of memory" can be told later. */
	if (errs_reserve(errs, 1) < 0)
		return no_room_for_errors(out);
	cfg_defaults(out);
	ctx_init(&c, etc_dir, path);
	parse_path(&c, path, -1, 0);
	return finish(&c, out, errs, was_empty);
}

int
cfg_parse_string(const char *text, const char *filename, const char *etc_dir, struct cfg *out,
		 struct cfg_errors *errs)
{
	bool was_empty = errs->v == NULL;
	struct stat st;
	struct ctx c;
	int fidx;

	if (errs_reserve(errs, 1) < 0)
		return no_room_for_errors(out);
	cfg_defaults(out);
	ctx_init(&c, etc_dir, filename ? filename : "<string>");
	fidx = add_file(&c, c.top);
	if (fidx < 0) {
		c.oom = true;
		return finish(&c, out, errs, was_empty);
	}
	/* If the text is a file's, an include of that file is a loop. */
	if (filename && stat(filename, &st) == 0)
		c.stack[0] = (struct file_id){ st.st_dev, st.st_ino, true };
	parse_text(&c, fidx, text, strlen(text));
	return finish(&c, out, errs, was_empty);
}

/* ---- the rest of the API ----------------------------------------------- */

static void
free_service(struct cfg_service *s)
{
	free(s->name);
	free(s->command);
	cfgw_free(s->argv);
	cfgw_free(s->depends);
	free(s->user);
	free(s->home);
	free(s->groups);
	free(s->directory);
	cfgw_free(s->env);
	free(s->environment_file);
	free(s->output_path);
	free(s->file);
}

void
cfg_free(struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		free_service(&cfg->services[i]);
	free(cfg->services);
	free(cfg->socket);
	free(cfg->system.hostname);
	free_mounts(cfg->system.mounts, cfg->system.nmounts);
	memset(cfg, 0, sizeof(*cfg));
}

const struct cfg_service *
cfg_find_service(const struct cfg *cfg, const char *name)
{
	size_t i = service_index(cfg, name);

	return i == SIZE_MAX ? NULL : &cfg->services[i];
}

int
cfg_start_order(const struct cfg *cfg, size_t *order)
{
	return dfs_order(cfg, order, NULL, NULL);
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
strv_eq(char *const *a, char *const *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

int
cfg_service_changed(const struct cfg_service *a, const struct cfg_service *b)
{
	bool same = strv_eq(a->argv, b->argv) && a->type == b->type &&
		    a->ready_fd == b->ready_fd && a->watchdog == b->watchdog &&
		    a->has_user == b->has_user && a->uid == b->uid && str_eq(a->user, b->user) &&
		    str_eq(a->home, b->home) && a->has_group == b->has_group && a->gid == b->gid &&
		    a->ngroups == b->ngroups &&
		    (a->ngroups == 0 || memcmp(a->groups, b->groups, a->ngroups * sizeof(gid_t)) == 0) &&
		    str_eq(a->directory, b->directory) && strv_eq(a->env, b->env) &&
		    str_eq(a->environment_file, b->environment_file) && a->umask == b->umask &&
		    a->rlimit_nofile == b->rlimit_nofile && a->output == b->output &&
		    str_eq(a->output_path, b->output_path);

	return !same;
}
