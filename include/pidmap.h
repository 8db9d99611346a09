/*
 * pidmap — which service does this pid belong to, in O(1).
 *
 * Owns an open-addressing hash table from pid to an opaque pointer. The
 * reaper looks up every pid it collects (thousands per second in an orphan
 * storm, almost all misses), so a miss must be as cheap as a hit. Sized by
 * the caller to at least twice the number of entries; linear probing with
 * backward-shift deletion keeps it tombstone-free.
 *
 * A put that finds the table half full grows it. When that allocation
 * fails the entry goes to a small fixed spill array instead, so that a
 * service's pid is not lost to a moment without memory (its exit would
 * read as an orphan's and the service would never restart). Lookups scan
 * the spill only while it holds something; the next growth empties it.
 */
#ifndef SEXTON_PIDMAP_H
#define SEXTON_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_slot {
	pid_t pid; /* 0 = empty */
	void *value;
};

#define PIDMAP_SPILL 16

struct pidmap {
	struct pidmap_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count; /* entries in slots */
	size_t nspill; /* entries in spill */
	struct pidmap_slot spill[PIDMAP_SPILL];
};

/* Room for at least MAX_ENTRIES at load <= 1/2. Returns 0 or -ENOMEM. */
int pidmap_init(struct pidmap *m, size_t max_entries);
void pidmap_free(struct pidmap *m);

/* Grow (rehash) so that MAX_ENTRIES fit, and empty the spill into the
 * table. Returns 0 or -ENOMEM (map unchanged). */
int pidmap_reserve(struct pidmap *m, size_t max_entries);

/* Insert or replace, growing the table when it is half full. Returns 0,
 * or -ENOMEM when neither the table could grow nor the spill had room
 * (the map is unchanged then). */
int pidmap_put(struct pidmap *m, pid_t pid, void *value);
void *pidmap_get(const struct pidmap *m, pid_t pid);
/* Remove PID if present; returns its value or NULL. */
void *pidmap_del(struct pidmap *m, pid_t pid);

#endif
