/* pidmap — see include/pidmap.h. */
#include "pidmap.h"

#include <errno.h>
#include <stdbool.h>
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

static bool
has_room(const struct pidmap *m)
{
	return (m->count + 1) * 2 <= m->mask + 1;
}

/* PID, known to be absent, into a table with room. */
static void
insert_new(struct pidmap *m, pid_t pid, void *value)
{
	size_t i = slot_of(m, pid);

	while (m->slots[i].pid)
		i = (i + 1) & m->mask;
	m->slots[i].pid = pid;
	m->slots[i].value = value;
	m->count++;
}

static struct pidmap_slot *
find(const struct pidmap *m, pid_t pid)
{
	size_t i = slot_of(m, pid);

	while (m->slots[i].pid) {
		if (m->slots[i].pid == pid)
			return &m->slots[i];
		i = (i + 1) & m->mask;
	}
	for (i = 0; i < m->nspill; i++) /* empty but for a moment without memory */
		if (m->spill[i].pid == pid)
			return (struct pidmap_slot *)&m->spill[i];
	return NULL;
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
	m->nspill = 0;
	return 0;
}

void
pidmap_free(struct pidmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
	m->nspill = 0;
}

int
pidmap_reserve(struct pidmap *m, size_t max_entries)
{
	size_t want = max_entries, oldcap = m->mask + 1, cap, i;
	struct pidmap_slot *old = m->slots, *slots;

	if (want < m->count + m->nspill)
		want = m->count + m->nspill;
	cap = capacity_for(want);
	if (cap > oldcap) {
		slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		m->slots = slots;
		m->mask = cap - 1;
		m->count = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].pid)
				insert_new(m, old[i].pid, old[i].value);
		free(old);
	}
	/* The capacity holds WANT at load <= 1/2, so every spilled entry fits. */
	while (m->nspill) {
		m->nspill--;
		insert_new(m, m->spill[m->nspill].pid, m->spill[m->nspill].value);
	}
	return 0;
}

int
pidmap_put(struct pidmap *m, pid_t pid, void *value)
{
	struct pidmap_slot *s = find(m, pid);

	if (s) {
		s->value = value;
		return 0;
	}
	if (!has_room(m) && pidmap_reserve(m, 2 * (m->count + m->nspill + 1)) < 0) {
		if (m->nspill == PIDMAP_SPILL)
			return -ENOMEM;
		m->spill[m->nspill].pid = pid;
		m->spill[m->nspill].value = value;
		m->nspill++;
		return 0;
	}
	insert_new(m, pid, value);
	return 0;
}

void *
pidmap_get(const struct pidmap *m, pid_t pid)
{
	const struct pidmap_slot *s = find(m, pid);

	return s ? s->value : NULL;
}

static void *
del_spilled(struct pidmap *m, pid_t pid)
{
	size_t i;
	void *value;

	for (i = 0; i < m->nspill; i++) {
		if (m->spill[i].pid != pid)
			continue;
		value = m->spill[i].value;
		m->spill[i] = m->spill[--m->nspill];
		return value;
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
			return m->nspill ? del_spilled(m, pid) : NULL;
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
