/* cm-strtab.c — string interning for scheme codes.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-strtab-private.h"

void
cm_strtab_init (CmStrtab *tab)
{
  memset (tab, 0, sizeof *tab);
  tab->mask = 1023;
  tab->slots = g_new0 (guint32, tab->mask + 1);
  tab->chunk = g_string_chunk_new (64 * 1024);
}

void
cm_strtab_clear (CmStrtab *tab)
{
  g_clear_pointer (&tab->slots, g_free);
  g_clear_pointer (&tab->hashes, g_free);
  g_clear_pointer (&tab->strs, g_free);
  g_clear_pointer (&tab->lens, g_free);
  g_clear_pointer (&tab->chunk, g_string_chunk_free);
  tab->n = tab->cap = 0;
}

guint32
cm_strtab_hash (const char *s, gsize len)
{
  /* FNV-1a, then a final avalanche so the low bits are usable as an index */
  guint32 h = 2166136261u;
  for (gsize i = 0; i < len; i++)
    {
      h ^= (guchar) s[i];
      h *= 16777619u;
    }
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h;
}

static void
grow (CmStrtab *tab)
{
  guint32 new_mask = tab->mask * 2 + 1;
  guint32 *slots = g_new0 (guint32, new_mask + 1);

  for (guint32 id = 0; id < tab->n; id++)
    {
      guint32 i = tab->hashes[id] & new_mask;
      while (slots[i] != 0)
        i = (i + 1) & new_mask;
      slots[i] = id + 1;
    }
  g_free (tab->slots);
  tab->slots = slots;
  tab->mask = new_mask;
}

guint32
cm_strtab_lookup (const CmStrtab *tab, const char *s, gsize len)
{
  guint32 h = cm_strtab_hash (s, len);
  guint32 i = h & tab->mask;

  for (;;)
    {
      guint32 e = tab->slots[i];
      if (e == 0)
        return CM_STRTAB_NONE;
      e--;
      if (tab->hashes[e] == h && tab->lens[e] == len
          && memcmp (tab->strs[e], s, len) == 0)
        return e;
      i = (i + 1) & tab->mask;
    }
}

guint32
cm_strtab_intern (CmStrtab *tab, const char *s, gsize len)
{
  guint32 h = cm_strtab_hash (s, len);
  guint32 i = h & tab->mask;
  guint32 id;

  for (;;)
    {
      guint32 e = tab->slots[i];
      if (e == 0)
        break;
      e--;
      if (tab->hashes[e] == h && tab->lens[e] == len
          && memcmp (tab->strs[e], s, len) == 0)
        return e;
      i = (i + 1) & tab->mask;
    }
  if (tab->n == tab->cap)
    {
      tab->cap = tab->cap ? tab->cap * 2 : 1024;
      tab->hashes = g_renew (guint32, tab->hashes, tab->cap);
      tab->strs = g_renew (const char *, tab->strs, tab->cap);
      tab->lens = g_renew (guint32, tab->lens, tab->cap);
    }
  id = tab->n++;
  tab->hashes[id] = h;
  tab->lens[id] = (guint32) len;
  tab->strs[id] = g_string_chunk_insert_len (tab->chunk, s, (gssize) len);
  tab->slots[i] = id + 1;
  if ((guint64) tab->n * 2 > tab->mask)
    grow (tab);
  return id;
}
