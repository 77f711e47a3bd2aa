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
  tab->slots = g_new0 (guint64, tab->mask + 1);
}

void
cm_strtab_clear (CmStrtab *tab)
{
  if (!tab->borrowed)
    {
      g_free (tab->slots);
      g_free (tab->entries);
      g_free (tab->blob);
    }
  tab->slots = NULL;
  tab->entries = NULL;
  tab->blob = NULL;
  tab->n = tab->cap = 0;
  tab->blob_len = tab->blob_cap = 0;
}

static void grow (CmStrtab *tab);

guint32
cm_strtab_hash (const char *s, gsize len)
{
  /* Eight bytes at a time: multiply-xorshift per word, then a final
   * avalanche so the low bits (the probe start) depend on every byte. */
  guint64 h = G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) ^ len;
  guint64 w;

  while (len >= 8)
    {
      memcpy (&w, s, 8);
      h = (h ^ w) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
      h ^= h >> 31;
      s += 8;
      len -= 8;
    }
  if (len > 0)
    {
      /* a byte loop: memcpy of a variable length is a library call */
      w = 0;
      for (gsize i = 0; i < len; i++)
        w |= (guint64) (guchar) s[i] << (8 * i);
      h = (h ^ w) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
      h ^= h >> 31;
    }
  h *= G_GUINT64_CONSTANT (0x94D049BB133111EB);
  h ^= h >> 29;
  return (guint32) h;
}

void
cm_strtab_reserve (CmStrtab *tab, guint32 n)
{
  guint32 want = 1024;

  while ((guint64) want < (guint64) n * 2 + 2)
    want *= 2;
  if (want - 1 <= tab->mask)
    return;
  tab->mask = want / 2 - 1;  /* grow() doubles it */
  if (n > tab->cap)
    {
      tab->cap = n;
      tab->entries = g_renew (CmStrtabEntry, tab->entries, tab->cap);
    }
  grow (tab);
}

static void
grow (CmStrtab *tab)
{
  guint32 new_mask = tab->mask * 2 + 1;
  guint64 *slots = g_new0 (guint64, (gsize) new_mask + 1);

  for (guint32 id = 0; id < tab->n; id++)
    {
      guint32 h = tab->entries[id].hash;
      guint32 i = h & new_mask;
      while (slots[i] != 0)
        i = (i + 1) & new_mask;
      slots[i] = (guint64) h << 32 | (id + 1);
    }
  g_free (tab->slots);
  tab->slots = slots;
  tab->mask = new_mask;
}

/* The slot of @s: its entry id + 1 in the low half, or 0 when absent;
 * *at receives the slot index. */
static inline guint32
probe (const CmStrtab *tab, const char *s, gsize len, guint32 h, guint32 *at)
{
  guint32 i = h & tab->mask;

  for (;;)
    {
      guint64 e = tab->slots[i];
      if (e == 0)
        {
          *at = i;
          return 0;
        }
      if ((guint32) (e >> 32) == h)
        {
          const CmStrtabEntry *en = &tab->entries[(guint32) e - 1];
          if (en->len == len && memcmp (tab->blob + en->off, s, len) == 0)
            {
              *at = i;
              return (guint32) e;
            }
        }
      i = (i + 1) & tab->mask;
    }
}

guint32
cm_strtab_lookup (const CmStrtab *tab, const char *s, gsize len)
{
  guint32 at;
  guint32 e = probe (tab, s, len, cm_strtab_hash (s, len), &at);
  return e == 0 ? CM_STRTAB_NONE : e - 1;
}

guint32
cm_strtab_intern (CmStrtab *tab, const char *s, gsize len)
{
  guint32 h = cm_strtab_hash (s, len);
  guint32 at;
  guint32 e = probe (tab, s, len, h, &at);
  guint32 id;

  if (e != 0)
    return e - 1;
  g_return_val_if_fail (!tab->borrowed, CM_STRTAB_NONE);
  if (tab->blob_len + len + 1 > tab->blob_cap)
    {
      tab->blob_cap = MAX (tab->blob_cap * 2, MAX (tab->blob_len + len + 1, 64 * 1024));
      tab->blob = g_realloc (tab->blob, tab->blob_cap);
    }
  if (tab->n == tab->cap)
    {
      tab->cap = tab->cap ? tab->cap * 2 : 1024;
      tab->entries = g_renew (CmStrtabEntry, tab->entries, tab->cap);
    }
  id = tab->n++;
  tab->entries[id].hash = h;
  tab->entries[id].len = (guint32) len;
  tab->entries[id].off = (guint32) tab->blob_len;
  tab->entries[id].pad = 0;
  memcpy (tab->blob + tab->blob_len, s, len);
  tab->blob[tab->blob_len + len] = '\0';
  tab->blob_len += len + 1;
  tab->slots[at] = (guint64) h << 32 | (id + 1);
  if ((guint64) tab->n * 2 > tab->mask)
    grow (tab);
  return id;
}
