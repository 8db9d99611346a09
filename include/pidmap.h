/*
 * pidmap — which service does this pid belong to, in O(1).
 *
 * Owns an open-addressing hash table from pid to an opaque pointer. The
 * reaper looks up every pid it collects (thousands per second in an orphan
 * storm, almost all misses), so a miss must be as cheap as a hit. Sized by
 * the caller to at least twice the number of entries; linear probing with
 * backward-shift deletion keeps it tombstone-free.
 */
#ifndef SEXTON_PIDMAP_H
#define SEXTON_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_slot {
	pid_t pid; /* 0 = empty */
	void *value;
};

struct pidmap {
	struct pidmap_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

/* Room for at least MAX_ENTRIES at load <= 1/2. Returns 0 or -ENOMEM. */
int pidmap_init(struct pidmap *m, size_t max_entries);
void pidmap_free(struct pidmap *m);

/* Grow (rehash) so that MAX_ENTRIES fit. Returns 0 or -ENOMEM (map unchanged). */
int pidmap_reserve(struct pidmap *m, size_t max_entries);

/* Insert or replace. Returns 0, or -ENOSPC when the map is over half full. */
int pidmap_put(struct pidmap *m, pid_t pid, void *value);
void *pidmap_get(const struct pidmap *m, pid_t pid);
/* Remove PID if present; returns its value or NULL. */
void *pidmap_del(struct pidmap *m, pid_t pid);

#endif
