/* cm-strtab-private.h — string interning: code text → dense id.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Built while a scheme loads, read-only afterwards (safe to share between
 * threads). Open addressing with linear probing over a power-of-two slot
 * array; the hash of each entry is kept so probes rarely touch the string.
 * Lookups take (pointer, length), so a caller can look up a code inside a
 * larger buffer without copying it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CM_STRTAB_NONE G_MAXUINT32

typedef struct {
  guint32 off;         /* of the NUL-terminated text in blob */
  guint32 len;
  guint32 hash;
  guint32 pad;
} CmStrtabEntry;

typedef struct {
  guint64 *slots;      /* hash << 32 | (entry index + 1); 0 = empty. The
                        * hash in the slot settles most probes without
                        * touching the entry. */
  guint32 mask;
  guint32 n;           /* number of entries */
  guint32 cap;         /* capacity of entries */
  CmStrtabEntry *entries;
  char *blob;          /* every text, NUL-terminated, one after the other */
  gsize blob_len;
  gsize blob_cap;
  gboolean borrowed;   /* arrays belong to a mapped pack: never freed or grown */
} CmStrtab;

void cm_strtab_init (CmStrtab *tab);
void cm_strtab_clear (CmStrtab *tab);
guint32 cm_strtab_hash (const char *s, gsize len);
/* Sizes the table for @n entries (fewer re-hashes while loading). */
void cm_strtab_reserve (CmStrtab *tab, guint32 n);
/* The id of @s, adding it when new. Texts returned by cm_strtab_get()
 * before the call may move: take pointers only once the table is built. */
guint32 cm_strtab_intern (CmStrtab *tab, const char *s, gsize len);
/* The id of @s or CM_STRTAB_NONE. */
guint32 cm_strtab_lookup (const CmStrtab *tab, const char *s, gsize len);
static inline const char *
cm_strtab_get (const CmStrtab *tab, guint32 id)
{
  return tab->blob + tab->entries[id].off;
}

G_END_DECLS
