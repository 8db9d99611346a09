/* holds — see include/holds.h. */
#include "holds.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Distinct socket inodes resolved per process; past that they are only
 * counted, so a server with 10k connections costs no more than this. */
#define SOCK_TRACK_MAX 64
#define LINE_BUF 4096 /* read() buffer for the net/ tables */
#define LINK_BUF 256  /* readlink of one fd: longer paths are cut anyway */

#define TCP_STATE_LISTEN 0x0A
#define UNIX_ACCEPTCON 0x10000 /* __SO_ACCEPTCON in the Flags column */

/* Listed first: a port or path held open is what the operator asks about;
 * unnamed and unresolved sockets say the least. */
enum sock_rank { RANK_LISTEN, RANK_NAMED, RANK_ANON, RANK_COUNT };

static const char *const tcp_state_names[] = {
	[0x01] = "ESTABLISHED", [0x02] = "SYN_SENT",   [0x03] = "SYN_RECV",
	[0x04] = "FIN_WAIT1",	[0x05] = "FIN_WAIT2",  [0x06] = "TIME_WAIT",
	[0x07] = "CLOSE",	[0x08] = "CLOSE_WAIT", [0x09] = "LAST_ACK",
	[0x0A] = "LISTEN",	[0x0B] = "CLOSING",
};

struct endpoint {
	unsigned char addr[16];
	unsigned port;
};

struct inet_line {
	struct endpoint local, remote;
	unsigned state;
	unsigned long inode;
};

struct unix_line {
	unsigned long inode;
	unsigned flags;
	const char *path; /* not NUL-terminated: PATHLEN bytes */
	size_t pathlen;
};

/* ---- parsing helpers: every one stops at the first NUL ------------------------- */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A raw line may still carry its '\n' (the fuzz target feeds such lines). */
static bool
at_eol(char c)
{
	return c == '\0' || c == '\n';
}

static const char *
skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* Past the next blank-separated column, or NULL when the line ends first. */
static const char *
skip_column(const char *p)
{
	p = skip_blanks(p);
	if (at_eol(*p))
		return NULL;
	while (!is_blank(*p) && !at_eol(*p))
		p++;
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* MIN to MAX hex digits (MAX <= 8) at *P; the caller checks what follows.
 * A NUL is not a digit, so this never looks past the end of the string. */
static int
parse_hex(const char **p, int min, int max, uint32_t *v)
{
	const char *s = *p;
	uint32_t x = 0;
	int n, d;

	for (n = 0; n < max && (d = hexval(s[n])) >= 0; n++)
		x = x << 4 | (uint32_t)d;
	if (n < min)
		return -1;
	*p = s + n;
	*v = x;
	return 0;
}

static int
parse_ulong(const char **p, unsigned long *v)
{
	const char *s = *p;
	unsigned long x = 0, d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned long)(*s - '0');
		if (x > (ULONG_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return 0;
}

/* LEN bytes of SRC at OUT+POS, control characters as '?' (a file name may
 * hold any byte but '/' and NUL, and this text ends up in logs). */
static void
append_clean(char *out, size_t outlen, size_t pos, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && pos + 1 < outlen; i++, pos++) {
		unsigned char c = (unsigned char)src[i];

		out[pos] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (pos < outlen)
		out[pos] = '\0';
}

/* ---- /proc/net/{tcp,udp}{,6} --------------------------------------------------- */

static bool
proto_is_v6(const char *proto)
{
	return proto[0] && proto[strlen(proto) - 1] == '6';
}

/* "0100007F:1F90", or 32 hex digits then the port for IPv6. */
static int
parse_endpoint(const char **p, bool v6, struct endpoint *e)
{
	const char *s = *p;
	uint32_t word, port;
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < (v6 ? 4 : 1); i++) {
		if (parse_hex(&s, 8, 8, &word) < 0)
			return -1;
		/* The kernel prints each 32-bit word of the address as the
		 * integer it is in memory, so copying the integer back in the
		 * host's order gives the network-order bytes. */
		memcpy(e->addr + 4 * i, &word, sizeof(word));
	}
	if (*s != ':')
		return -1;
	s++;
	if (parse_hex(&s, 4, 4, &port) < 0)
		return -1;
	e->port = port;
	*p = s;
	return 0;
}

static int
parse_inet_fields(const char *line, bool v6, struct inet_line *l)
{
	const char *p = skip_blanks(line);
	unsigned long sl;
	uint32_t st;
	int i;

	/* "sl:" — the header's "sl" is not a number, which rejects it. */
	if (parse_ulong(&p, &sl) < 0 || *p != ':')
		return -1;
	p = skip_blanks(p + 1);
	if (parse_endpoint(&p, v6, &l->local) < 0 || !is_blank(*p))
		return -1;
	p = skip_blanks(p);
	if (parse_endpoint(&p, v6, &l->remote) < 0 || !is_blank(*p))
		return -1;
	p = skip_blanks(p);
	if (parse_hex(&p, 2, 2, &st) < 0 || !is_blank(*p))
		return -1;
	l->state = st;
	/* tx:rx queues, timer, retransmits, uid, timeout: then the inode. */
	for (i = 0; i < 5; i++)
		if (!(p = skip_column(p)))
			return -1;
	p = skip_blanks(p);
	if (parse_ulong(&p, &l->inode) < 0 || !(is_blank(*p) || at_eol(*p)))
		return -1;
	return 0;
}

static bool
endpoint_is_zero(const struct endpoint *e)
{
	static const unsigned char zero[sizeof(e->addr)];

	return e->port == 0 && memcmp(e->addr, zero, sizeof(zero)) == 0;
}

static void
format_endpoint(const struct endpoint *e, bool v6, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, e->addr, a, sizeof(a)))
		a[0] = '\0';
	if (v6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
}

static void
format_tcp_state(unsigned state, char *buf, size_t len)
{
	if (state < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) &&
	    tcp_state_names[state])
		snprintf(buf, len, "%s", tcp_state_names[state]);
	else
		snprintf(buf, len, "state-%02X", state);
}

/* "tcp L STATE", "tcp L -> R STATE", "udp L" or "udp L -> R". */
static enum sock_rank
format_inet(const struct inet_line *l, const char *proto, char *out, size_t outlen)
{
	bool v6 = proto_is_v6(proto);
	bool udp = strncmp(proto, "udp", 3) == 0;
	bool remote = !endpoint_is_zero(&l->remote) && (udp || l->state != TCP_STATE_LISTEN);
	char local[64], peer[64], st[16] = "";

	format_endpoint(&l->local, v6, local, sizeof(local));
	format_endpoint(&l->remote, v6, peer, sizeof(peer));
	if (!udp)
		format_tcp_state(l->state, st, sizeof(st));
	snprintf(out, outlen, "%s %s%s%s%s%s", proto, local, remote ? " -> " : "",
		 remote ? peer : "", udp ? "" : " ", st);
	if (udp ? !remote : l->state == TCP_STATE_LISTEN)
		return RANK_LISTEN;
	return RANK_NAMED;
}

int
holds_parse_inet(const char *line, const char *proto, unsigned long *inode, char *out,
		 size_t outlen)
{
	struct inet_line l;

	if (!line || !proto || !outlen || parse_inet_fields(line, proto_is_v6(proto), &l) < 0)
		return -1;
	*inode = l.inode;
	format_inet(&l, proto, out, outlen);
	return 0;
}

/* ---- /proc/net/unix ------------------------------------------------------------ */

/* "Num: RefCount Protocol Flags Type St Inode [Path]", Num a kernel
 * address (zeros under kptr_restrict). */
static int
parse_unix_fields(const char *line, struct unix_line *l)
{
	const char *p = skip_blanks(line);
	uint32_t v;
	int i;

	/* The header's "Num" is not hex, which rejects it. */
	if (hexval(*p) < 0)
		return -1;
	while (hexval(*p) >= 0)
		p++;
	if (*p != ':')
		return -1;
	p++;
	for (i = 0; i < 5; i++) {
		p = skip_blanks(p);
		if (parse_hex(&p, 1, 8, &v) < 0 || !is_blank(*p))
			return -1;
		if (i == 2)
			l->flags = v;
	}
	p = skip_blanks(p);
	if (parse_ulong(&p, &l->inode) < 0)
		return -1;
	if (!at_eol(*p) && *p != ' ')
		return -1;
	/* One space, then the path to the end of the line: it may hold spaces. */
	l->path = at_eol(*p) ? p : p + 1;
	l->pathlen = strcspn(l->path, "\n");
	return 0;
}

/* "unix /path", "unix @abstract" (the kernel already writes the '@'). */
static enum sock_rank
format_unix(const struct unix_line *l, char *out, size_t outlen)
{
	size_t n = l->pathlen ? strlen("unix ") : strlen("unix");

	snprintf(out, outlen, "%s", l->pathlen ? "unix " : "unix");
	if (n < outlen)
		append_clean(out, outlen, n, l->path, l->pathlen);
	if (l->flags & UNIX_ACCEPTCON)
		return RANK_LISTEN;
	return l->pathlen ? RANK_NAMED : RANK_ANON;
}

int
holds_parse_unix(const char *line, unsigned long *inode, char *out, size_t outlen)
{
	struct unix_line l;

	if (!line || !outlen || parse_unix_fields(line, &l) < 0)
		return -1;
	*inode = l.inode;
	format_unix(&l, out, outlen);
	return 0;
}

/* ---- reading a table line by line with a fixed buffer -------------------------- */

struct line_reader {
	int fd;
	size_t off, len;
	bool eof, skipping; /* skipping: the tail of a line cut short */
	char buf[LINE_BUF];
};

/* A whole buffered line, NUL-terminated in place, or NULL. */
static char *
split_line(struct line_reader *lr)
{
	char *start, *nl;

	for (;;) {
		start = lr->buf + lr->off;
		nl = memchr(start, '\n', lr->len - lr->off);
		if (!nl)
			return NULL;
		*nl = '\0';
		lr->off = (size_t)(nl + 1 - lr->buf);
		if (!lr->skipping)
			return start;
		lr->skipping = false;
	}
}

/* What is left once the table ends or a line fills the buffer: valid
 * until the next call. A line cut short keeps its head, where all the
 * columns are but the path. */
static char *
take_rest(struct line_reader *lr, bool cut)
{
	bool drop = lr->skipping || lr->len == 0;

	lr->buf[lr->len] = '\0';
	lr->len = 0;
	lr->skipping = cut;
	return drop ? NULL : lr->buf;
}

static char *
next_line(struct line_reader *lr)
{
	char *line;
	ssize_t n;

	while (!(line = split_line(lr))) {
		lr->len -= lr->off;
		memmove(lr->buf, lr->buf + lr->off, lr->len);
		lr->off = 0;
		if (lr->eof)
			return take_rest(lr, false);
		if (lr->len == sizeof(lr->buf) - 1) {
			if ((line = take_rest(lr, true)))
				return line;
			continue;
		}
		n = read(lr->fd, lr->buf + lr->len, sizeof(lr->buf) - 1 - lr->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* end, or the process is gone (ESRCH) */
			lr->eof = true;
		else
			lr->len += (size_t)n;
	}
	return line;
}

/* ---- what the fds are ---------------------------------------------------------- */

struct sock_slot {
	unsigned long inode;
	enum sock_rank rank;
	bool found;
	char text[HOLD_TEXT_MAX];
};

struct scan {
	struct sock_slot sock[SOCK_TRACK_MAX];
	size_t nsock, unresolved;
	char file[HOLDS_MAX][HOLD_TEXT_MAX];
	size_t nfile;
	size_t more; /* held, but past what is tracked */
};

/* "socket:[12345]" */
static int
parse_socket_link(const char *link, unsigned long *inode)
{
	const char *p = link + strlen("socket:[");

	if (strncmp(link, "socket:[", strlen("socket:[")) != 0 || parse_ulong(&p, inode) < 0)
		return -1;
	return strcmp(p, "]") == 0 ? 0 : -1;
}

static void
add_socket(struct scan *s, unsigned long inode)
{
	struct sock_slot *slot;
	size_t i;

	for (i = 0; i < s->nsock; i++)
		if (s->sock[i].inode == inode)
			return; /* a dup() of one we have */
	if (s->nsock == SOCK_TRACK_MAX) {
		s->more++;
		return;
	}
	slot = &s->sock[s->nsock++];
	slot->inode = inode;
	slot->rank = RANK_ANON;
	slot->found = false;
	snprintf(slot->text, sizeof(slot->text), "socket:[%lu]", inode);
	s->unresolved++;
}

/* The same path on several fds (stdout and stderr to one log) is listed once. */
static void
add_file(struct scan *s, const char *path)
{
	char text[HOLD_TEXT_MAX];
	size_t i;

	append_clean(text, sizeof(text), 0, path, strlen(path));
	for (i = 0; i < s->nfile; i++)
		if (strcmp(s->file[i], text) == 0)
			return;
	if (s->nfile == HOLDS_MAX) {
		s->more++;
		return;
	}
	memcpy(s->file[s->nfile++], text, sizeof(text));
}

/* Pipes, anon_inode:[eventfd] and the like, and /dev/null on the standard
 * streams, say nothing about why a process is stuck: left out. */
static void
add_link(struct scan *s, const char *link)
{
	unsigned long inode;

	if (parse_socket_link(link, &inode) == 0)
		add_socket(s, inode);
	else if (link[0] == '/' && strcmp(link, "/dev/null") != 0)
		add_file(s, link);
}

/* An fd/ entry's number, or -1 for "." and "..". */
static long
fd_number(const char *name)
{
	const char *p = name;
	unsigned long v;

	if (parse_ulong(&p, &v) < 0 || *p != '\0' || v > INT_MAX)
		return -1;
	return (long)v;
}

static int
collect_fds(int piddir, bool self, struct scan *s)
{
	char link[LINK_BUF];
	struct dirent *de;
	bool denied = false;
	ssize_t n;
	int fd, err;
	long num;
	DIR *d;

	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		num = fd_number(de->d_name);
		/* Reading our own fd/ would list the two directories doing it. */
		if (num < 0 || (self && (num == fd || num == piddir)))
			continue;
		n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0) {
			denied |= errno == EACCES || errno == EPERM;
			continue; /* closed meanwhile */
		}
		link[n] = '\0';
		add_link(s, link);
	}
	closedir(d);
	/* fd/ listed, but no link readable: not ours to look at. */
	if (denied && !s->nsock && !s->nfile && !s->more)
		return -EACCES;
	return 0;
}

static struct sock_slot *
find_unresolved(struct scan *s, unsigned long inode)
{
	size_t i;

	if (inode == 0) /* TIME_WAIT and request sockets: no fd holds them */
		return NULL;
	for (i = 0; i < s->nsock; i++)
		if (s->sock[i].inode == inode && !s->sock[i].found)
			return &s->sock[i];
	return NULL;
}

static void
resolve_line(struct scan *s, const char *table, const char *line)
{
	struct sock_slot *slot;
	struct inet_line il;
	struct unix_line ul;

	if (strcmp(table, "unix") == 0) {
		if (parse_unix_fields(line, &ul) < 0 || !(slot = find_unresolved(s, ul.inode)))
			return;
		slot->rank = format_unix(&ul, slot->text, sizeof(slot->text));
	} else {
		if (parse_inet_fields(line, proto_is_v6(table), &il) < 0 ||
		    !(slot = find_unresolved(s, il.inode)))
			return;
		slot->rank = format_inet(&il, table, slot->text, sizeof(slot->text));
	}
	slot->found = true;
	s->unresolved--;
}

/* The target's own net/: its network namespace, not ours. */
static void
scan_table(int piddir, const char *table, struct scan *s)
{
	struct line_reader lr;
	char path[16];
	char *line;

	snprintf(path, sizeof(path), "net/%s", table);
	lr.fd = openat(piddir, path, O_RDONLY | O_CLOEXEC);
	if (lr.fd < 0)
		return; /* no IPv6, or the process is gone */
	lr.off = lr.len = 0;
	lr.eof = lr.skipping = false;
	while (s->unresolved && (line = next_line(&lr)))
		resolve_line(s, table, line);
	close(lr.fd);
}

static void
push(struct holds *h, const char *text)
{
	if (h->n == HOLDS_MAX) {
		h->more++;
		return;
	}
	snprintf(h->item[h->n++], HOLD_TEXT_MAX, "%s", text);
}

static void
fill(struct holds *h, const struct scan *s)
{
	size_t i;
	int rank;

	for (rank = 0; rank < RANK_COUNT; rank++)
		for (i = 0; i < s->nsock; i++)
			if ((int)s->sock[i].rank == rank)
				push(h, s->sock[i].text);
	for (i = 0; i < s->nfile; i++)
		push(h, s->file[i]);
	h->more += s->more;
}

int
holds_read(pid_t pid, struct holds *h)
{
	static const char *const tables[] = { "tcp", "tcp6", "udp", "udp6", "unix" };
	struct scan s;
	char path[32];
	size_t i;
	int piddir, rc;

	h->n = h->more = 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	piddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return -errno;
	s.nsock = s.unresolved = s.nfile = s.more = 0;
	rc = collect_fds(piddir, pid == getpid(), &s);
	if (rc == 0) {
		for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && s.unresolved; i++)
			scan_table(piddir, tables[i], &s);
		fill(h, &s);
	}
	close(piddir);
	return rc;
}
