/* pidmap — see include/pidmap.h. */
#include "pidmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static size_t
slot_of(const struct pidmap *m, pid_t pid)
{
	/* Fibonacci hashing: consecutive pids spread over the table. */
	return (size_t)(((uint32_t)pid * 2654435769u) >> 7) & m->mask;
}

static size_t
capacity_for(size_t max_entries)
{
	size_t cap = 16;

	while (cap < max_entries * 2)
		cap *= 2;
	return cap;
}

int
pidmap_init(struct pidmap *m, size_t max_entries)
{
	size_t cap = capacity_for(max_entries);

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

void
pidmap_free(struct pidmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

int
pidmap_reserve(struct pidmap *m, size_t max_entries)
{
	struct pidmap bigger;
	size_t i;

	if (capacity_for(max_entries) <= m->mask + 1)
		return 0;
	if (pidmap_init(&bigger, max_entries) < 0)
		return -ENOMEM;
	for (i = 0; i <= m->mask; i++)
		if (m->slots[i].pid)
			pidmap_put(&bigger, m->slots[i].pid, m->slots[i].value);
	pidmap_free(m);
	*m = bigger;
	return 0;
}

int
pidmap_put(struct pidmap *m, pid_t pid, void *value)
{
	size_t i = slot_of(m, pid);

	while (m->slots[i].pid && m->slots[i].pid != pid)
		i = (i + 1) & m->mask;
	if (!m->slots[i].pid) {
		if ((m->count + 1) * 2 > m->mask + 1)
			return -ENOSPC;
		m->count++;
	}
	m->slots[i].pid = pid;
	m->slots[i].value = value;
	return 0;
}

void *
pidmap_get(const struct pidmap *m, pid_t pid)
{
	size_t i = slot_of(m, pid);

	while (m->slots[i].pid) {
		if (m->slots[i].pid == pid)
			return m->slots[i].value;
		i = (i + 1) & m->mask;
	}
	return NULL;
}

void *
pidmap_del(struct pidmap *m, pid_t pid)
{
	size_t i = slot_of(m, pid), j, home;
	void *value;

	while (m->slots[i].pid != pid) {
		if (!m->slots[i].pid)
			return NULL;
		i = (i + 1) & m->mask;
	}
	value = m->slots[i].value;
	/* Backward-shift: pull later entries of the probe run into the hole. */
	for (j = (i + 1) & m->mask; m->slots[j].pid; j = (j + 1) & m->mask) {
		home = slot_of(m, m->slots[j].pid);
		/* Move j to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].pid = 0;
	m->slots[i].value = NULL;
	m->count--;
	return value;
}
