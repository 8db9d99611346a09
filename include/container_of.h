/*
 * container_of — from an embedded libev watcher to the struct that owns it.
 *
 * Every watcher in sexton lives inside its owner (STYLE: embed watchers);
 * callbacks get the watcher and recover the owner with this.
 */
#ifndef SEXTON_CONTAINER_OF_H
#define SEXTON_CONTAINER_OF_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
