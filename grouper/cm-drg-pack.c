/* cm-drg-pack.c — the compiled-scheme cache ("pack") of a flat DRG scheme.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Loading a scheme from its TSV files takes tens of milliseconds, most of
 * it spent touching fresh memory (on these virtual machines every first
 * touch of a page costs several microseconds). A pack is the compiled
 * scheme written to one file after a successful TSV load: the big arrays
 * (the three interning tables, the per-code records, the list
 * memberships) are stored exactly as they are in memory and used in place
 * from a read-only mapping; the small tables (rules, conditions, names) are
 * copied out with their strings pointing into the mapping.
 *
 * Never trusted blindly:
 *   - the header carries a signature of the source folder (every TSV
 *     file's name, size, modification time and inode) and of this engine
 *     (pack version, struct sizes): any change makes the pack stale;
 *   - the header carries a checksum of the payload, verified on every load:
 *     a corrupt pack is ignored;
 *   - every section offset and size is checked against the file size, and
 *     every index the arrays hold was valid when the pack was written;
 *     with the checksum, a pack that passes is byte-identical to one we
 *     wrote.
 * A stale or corrupt pack is simply rebuilt from the TSV files. Packs are
 * written to a temporary file and renamed, so readers never see half of
 * one. Location: $CASEMIX_CACHE_DIR, else the user cache folder
 * (~/.cache/casemix); CASEMIX_NO_PACK=1 switches packs off. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "cm-drg-private.h"

#define PACK_MAGIC "CMDRGPK1"
#define PACK_VERSION 1

enum {
  SEC_CODES_SLOTS, SEC_CODES_ENTRIES, SEC_CODES_BLOB,
  SEC_LISTS_SLOTS, SEC_LISTS_ENTRIES, SEC_LISTS_BLOB,
  SEC_EXCL_SLOTS, SEC_EXCL_ENTRIES, SEC_EXCL_BLOB,
  SEC_INFO, SEC_LIST_MEMBERS, SEC_LIST_SIZES,
  SEC_NODES, SEC_NODE_STRS, SEC_KIDS,
  SEC_MDCS, SEC_RULES, SEC_SPLITS, SEC_CHECKS,
  SEC_KV, SEC_STRINGS,
  N_SEC
};

typedef struct {
  char magic[8];
  guint32 version;
  guint32 n_sections;
  guint64 signature;
  guint64 payload_size;
  guint64 checksum;
  guint32 format_version;
  guint32 codes_mask, codes_n;
  guint32 lists_mask, lists_n;
  guint32 excl_mask, excl_n;
  guint32 n_members;
  guint32 n_nodes, n_kids;
  guint32 n_mdcs, n_rules, n_splits, n_checks, n_kv;
  guint32 id_off;
  struct { guint64 off, size; } sec[N_SEC];
} PackHeader;

/* Serialized small records: strings are offsets into SEC_STRINGS. */
typedef struct { guint32 mdc, cond, rules_off, n_rules; gint64 order; } PMdc;
typedef struct {
  guint32 rule_id, adrg, fallback, cond, kind, splits_off, n_splits, pad;
  gint64 order;
} PRule;
typedef struct { guint32 drg, cond, line, pad; } PSplit;
typedef struct { guint32 cond, status, description, pad; gint64 order; } PCheck;
typedef struct { guint32 table, key, value, pad; } PKv;  /* table 0 meta, 1 settings, 2 names */

static const char *const source_files[] = {
  "meta.tsv", "settings.tsv", "list_info.tsv", "lists.tsv", "cc.tsv",
  "cc_exclusion.tsv", "dx_map.tsv", "px_map.tsv", "mdc.tsv", "adrg_rules.tsv",
  "drg_splits.tsv", "statuses.tsv", "checks.tsv", "drg_names.tsv",
  "adrg_names.tsv", "mdc_names.tsv",
};

gboolean
cm_drg_pack_enabled (void)
{
  const char *v = g_getenv ("CASEMIX_NO_PACK");
  return v == NULL || *v == '\0' || strcmp (v, "0") == 0;
}

static guint64
hash64 (const void *data, gsize len, guint64 h)
{
  const guchar *p = data;
  guint64 w;

  h ^= len * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  while (len >= 8)
    {
      memcpy (&w, p, 8);
      h = (h ^ w) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
      h ^= h >> 31;
      p += 8;
      len -= 8;
    }
  w = 0;
  for (gsize i = 0; i < len; i++)
    w |= (guint64) p[i] << (8 * i);
  h = (h ^ w) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return h ^ (h >> 29);
}

/* The source folder and this engine, summarised. */
static guint64
signature (const char *dir)
{
  guint64 h = hash64 (PACK_MAGIC, 8, PACK_VERSION);
  const gsize sizes[] = { sizeof (CmCodeInfo), sizeof (CmCondNode),
                          sizeof (CmStrtabEntry), sizeof (PackHeader),
                          sizeof (void *) };

  h = hash64 (CM_VERSION, strlen (CM_VERSION), h);
  h = hash64 (sizes, sizeof sizes, h);
  for (guint i = 0; i < G_N_ELEMENTS (source_files); i++)
    {
      g_autofree char *path = g_build_filename (dir, source_files[i], NULL);
      struct stat st;
      gint64 rec[5] = { 0 };
      if (g_stat (path, &st) == 0)
        {
          rec[0] = 1;
          rec[1] = st.st_size;
          rec[2] = st.st_mtim.tv_sec;
          rec[3] = st.st_mtim.tv_nsec;
          rec[4] = (gint64) st.st_ino;
        }
      h = hash64 (source_files[i], strlen (source_files[i]), h);
      h = hash64 (rec, sizeof rec, h);
    }
  return h;
}

char *
cm_drg_pack_path (const char *dir)
{
  const char *cache = g_getenv ("CASEMIX_CACHE_DIR");
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  g_autofree char *base = g_path_get_basename (abs);
  g_autofree char *folder = cache && *cache ? g_strdup (cache)
                            : g_build_filename (g_get_user_cache_dir (), "casemix", NULL);
  g_autofree char *name = g_strdup_printf ("%s-%016" G_GINT64_MODIFIER "x.drgpack", base,
                                           hash64 (abs, strlen (abs), 0));
  return g_build_filename (folder, name, NULL);
}

/* --- writing ------------------------------------------------------------- */

typedef struct {
  GByteArray *payload;
  GHashTable *str_offs;  /* text → offset + 1 */
  GByteArray *strings;
  PackHeader h;
} Writer;

static guint32
str_off (Writer *w, const char *s)
{
  gpointer v;
  guint32 off;

  if (s == NULL)
    s = "";
  if (g_hash_table_lookup_extended (w->str_offs, s, NULL, &v))
    return GPOINTER_TO_UINT (v) - 1;
  off = w->strings->len;
  g_byte_array_append (w->strings, (const guint8 *) s, (guint) strlen (s) + 1);
  g_hash_table_insert (w->str_offs, (gpointer) s, GUINT_TO_POINTER (off + 1));
  return off;
}

static void
section (Writer *w, int sec, const void *data, gsize size)
{
  static const guint8 zeros[8] = { 0 };
  gsize pad = (8 - w->payload->len % 8) % 8;

  g_byte_array_append (w->payload, zeros, (guint) pad);
  w->h.sec[sec].off = w->payload->len;
  w->h.sec[sec].size = size;
  if (size)
    g_byte_array_append (w->payload, data, (guint) size);
}

static void
strtab_sections (Writer *w, const CmStrtab *t, int first, guint32 *mask, guint32 *n)
{
  section (w, first, t->slots, ((gsize) t->mask + 1) * sizeof (guint64));
  section (w, first + 1, t->entries, (gsize) t->n * sizeof (CmStrtabEntry));
  section (w, first + 2, t->blob, t->blob_len);
  *mask = t->mask;
  *n = t->n;
}

static void
kv_add (Writer *w, GArray *kv, guint32 table, GHashTable *ht)
{
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, ht);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      PKv r = { table, str_off (w, k), str_off (w, v), 0 };
      g_array_append_val (kv, r);
    }
}

void
cm_drg_pack_save (const CmDrgScheme *s, const char *dir)
{
  Writer w = { 0 };
  g_autoptr (GArray) mdcs = g_array_new (FALSE, TRUE, sizeof (PMdc));
  g_autoptr (GArray) rules = g_array_new (FALSE, TRUE, sizeof (PRule));
  g_autoptr (GArray) splits = g_array_new (FALSE, TRUE, sizeof (PSplit));
  g_autoptr (GArray) checks = g_array_new (FALSE, TRUE, sizeof (PCheck));
  g_autoptr (GArray) kv = g_array_new (FALSE, TRUE, sizeof (PKv));
  g_autoptr (GArray) node_strs = g_array_new (FALSE, TRUE, sizeof (guint32));
  g_autofree char *path = cm_drg_pack_path (dir);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *tmp = NULL;
  guint32 n_codes = s->codes.n;
  int fd;

  if (s->pack != NULL)
    return;
  w.payload = g_byte_array_sized_new (8 * 1024 * 1024);
  w.strings = g_byte_array_new ();
  w.str_offs = g_hash_table_new (g_str_hash, g_str_equal);
  memcpy (w.h.magic, PACK_MAGIC, 8);
  w.h.version = PACK_VERSION;
  w.h.n_sections = N_SEC;
  w.h.signature = signature (dir);
  w.h.format_version = (guint32) s->format_version;
  w.h.id_off = str_off (&w, s->id);

  strtab_sections (&w, &s->codes, SEC_CODES_SLOTS, &w.h.codes_mask, &w.h.codes_n);
  strtab_sections (&w, &s->lists, SEC_LISTS_SLOTS, &w.h.lists_mask, &w.h.lists_n);
  strtab_sections (&w, &s->excl, SEC_EXCL_SLOTS, &w.h.excl_mask, &w.h.excl_n);
  section (&w, SEC_INFO, s->info, (gsize) n_codes * sizeof (CmCodeInfo));
  w.h.n_members = n_codes ? s->info[n_codes - 1].lists_off + s->info[n_codes - 1].n_lists : 0;
  for (guint32 c = 0; c < n_codes; c++)
    w.h.n_members = MAX (w.h.n_members, s->info[c].lists_off + s->info[c].n_lists);
  section (&w, SEC_LIST_MEMBERS, s->list_members, (gsize) w.h.n_members * sizeof (guint32));
  section (&w, SEC_LIST_SIZES, s->list_sizes, (gsize) s->lists.n * sizeof (guint32));

  w.h.n_nodes = s->nodes->len;
  for (guint i = 0; i < s->nodes->len; i++)
    {
      const CmCondNode *n = &g_array_index (s->nodes, CmCondNode, i);
      guint32 o = n->str ? str_off (&w, n->str) + 1 : 0;
      g_array_append_val (node_strs, o);
    }
  {
    /* nodes without their pointer (re-made from SEC_NODE_STRS on load) */
    g_autoptr (GArray) clean = g_array_copy (s->nodes);
    for (guint i = 0; i < clean->len; i++)
      g_array_index (clean, CmCondNode, i).str = NULL;
    section (&w, SEC_NODES, clean->data, (gsize) clean->len * sizeof (CmCondNode));
  }
  section (&w, SEC_NODE_STRS, node_strs->data, (gsize) node_strs->len * sizeof (guint32));
  w.h.n_kids = s->kids->len;
  section (&w, SEC_KIDS, s->kids->data, (gsize) s->kids->len * sizeof (guint32));

  for (guint i = 0; i < s->n_mdcs; i++)
    {
      const CmDrgMdc *m = &s->mdcs[i];
      PMdc r = { str_off (&w, m->mdc), m->cond, m->rules_off, m->n_rules, m->order };
      g_array_append_val (mdcs, r);
    }
  for (guint i = 0; i < s->n_rules; i++)
    {
      const CmDrgRule *x = &s->rules[i];
      PRule r = { str_off (&w, x->rule_id), str_off (&w, x->adrg), str_off (&w, x->fallback),
                  x->cond, x->kind, x->splits_off, x->n_splits, 0, x->order };
      g_array_append_val (rules, r);
    }
  for (guint i = 0; i < s->n_splits; i++)
    {
      const CmDrgSplit *x = &s->splits[i];
      PSplit r = { str_off (&w, x->drg), x->cond, x->line, 0 };
      g_array_append_val (splits, r);
    }
  for (guint i = 0; i < s->n_checks; i++)
    {
      const CmDrgCheck *x = &s->checks[i];
      PCheck r = { x->cond, str_off (&w, x->status), str_off (&w, x->description), 0, x->order };
      g_array_append_val (checks, r);
    }
  kv_add (&w, kv, 0, s->meta);
  kv_add (&w, kv, 1, s->settings);
  kv_add (&w, kv, 2, s->names);
  w.h.n_mdcs = mdcs->len;
  w.h.n_rules = rules->len;
  w.h.n_splits = splits->len;
  w.h.n_checks = checks->len;
  w.h.n_kv = kv->len;
  section (&w, SEC_MDCS, mdcs->data, (gsize) mdcs->len * sizeof (PMdc));
  section (&w, SEC_RULES, rules->data, (gsize) rules->len * sizeof (PRule));
  section (&w, SEC_SPLITS, splits->data, (gsize) splits->len * sizeof (PSplit));
  section (&w, SEC_CHECKS, checks->data, (gsize) checks->len * sizeof (PCheck));
  section (&w, SEC_KV, kv->data, (gsize) kv->len * sizeof (PKv));
  section (&w, SEC_STRINGS, w.strings->data, w.strings->len);

  w.h.payload_size = w.payload->len;
  w.h.checksum = hash64 (w.payload->data, w.payload->len, 0);

  if (g_mkdir_with_parents (folder, 0755) != 0)
    goto out;
  tmp = g_strdup_printf ("%s.tmp-XXXXXX", path);
  fd = g_mkstemp (tmp);
  if (fd < 0)
    goto out;
  {
    gboolean ok = write (fd, &w.h, sizeof w.h) == (gssize) sizeof w.h
                  && write (fd, w.payload->data, w.payload->len) == (gssize) w.payload->len;
    ok = close (fd) == 0 && ok;
    if (!ok || g_rename (tmp, path) != 0)
      {
        g_debug ("pack %s not written: %s", path, g_strerror (errno));
        g_unlink (tmp);
      }
  }
out:
  g_hash_table_unref (w.str_offs);
  g_byte_array_unref (w.strings);
  g_byte_array_unref (w.payload);
}

/* --- reading ------------------------------------------------------------- */

typedef struct {
  const PackHeader *h;
  const char *payload;
} Reader;

static const void *
sec_data (Reader *r, int sec, gsize elem, guint64 count)
{
  if (r->h->sec[sec].size != count * elem)
    return NULL;
  return r->payload + r->h->sec[sec].off;
}

static gboolean
map_strtab (Reader *r, CmStrtab *t, int first, guint32 mask, guint32 n)
{
  const char *blob;

  t->slots = (guint64 *) sec_data (r, first, sizeof (guint64), (guint64) mask + 1);
  t->entries = (CmStrtabEntry *) sec_data (r, first + 1, sizeof (CmStrtabEntry), n);
  blob = r->payload + r->h->sec[first + 2].off;
  if (t->slots == NULL || (n > 0 && t->entries == NULL) || ((mask + 1) & mask) != 0)
    return FALSE;
  t->blob = (char *) blob;
  t->blob_len = t->blob_cap = r->h->sec[first + 2].size;
  t->mask = mask;
  t->n = t->cap = n;
  t->borrowed = TRUE;
  return TRUE;
}

static const char *
pstr (Reader *r, guint32 off)
{
  if (off >= r->h->sec[SEC_STRINGS].size)
    return "";
  return r->payload + r->h->sec[SEC_STRINGS].off + off;
}

CmDrgScheme *
cm_drg_pack_load (const char *dir)
{
  g_autofree char *path = cm_drg_pack_path (dir);
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (CmDrgScheme) s = NULL;
  g_autoptr (GError) error = NULL;
  const PackHeader *h;
  const char *data;
  gsize len;
  Reader r;

  map = g_mapped_file_new (path, FALSE, &error);
  if (map == NULL)
    return NULL;
  data = g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  if (len < sizeof (PackHeader))
    return NULL;
  h = (const PackHeader *) data;
  if (memcmp (h->magic, PACK_MAGIC, 8) != 0 || h->version != PACK_VERSION
      || h->n_sections != N_SEC || h->payload_size != len - sizeof (PackHeader))
    {
      g_debug ("pack %s: not a pack of this engine", path);
      return NULL;
    }
  if (h->signature != signature (dir))
    {
      g_debug ("pack %s: stale", path);
      return NULL;
    }
  for (int i = 0; i < N_SEC; i++)
    if (h->sec[i].off > h->payload_size || h->sec[i].size > h->payload_size - h->sec[i].off
        || h->sec[i].off % 8 != 0)
      return NULL;
  if (hash64 (data + sizeof (PackHeader), h->payload_size, 0) != h->checksum)
    {
      g_debug ("pack %s: corrupt (checksum)", path);
      return NULL;
    }
  r.h = h;
  r.payload = data + sizeof (PackHeader);

  s = cm_drg_scheme_alloc (dir, FALSE);
  s->pack = g_mapped_file_ref (map);
  g_free (s->id);
  s->id = g_strdup (pstr (&r, h->id_off));
  s->format_version = (int) h->format_version;
  if (!map_strtab (&r, &s->codes, SEC_CODES_SLOTS, h->codes_mask, h->codes_n)
      || !map_strtab (&r, &s->lists, SEC_LISTS_SLOTS, h->lists_mask, h->lists_n)
      || !map_strtab (&r, &s->excl, SEC_EXCL_SLOTS, h->excl_mask, h->excl_n))
    return NULL;
  s->info = (CmCodeInfo *) sec_data (&r, SEC_INFO, sizeof (CmCodeInfo), h->codes_n);
  s->list_members = (guint32 *) sec_data (&r, SEC_LIST_MEMBERS, sizeof (guint32), h->n_members);
  s->list_sizes = (guint32 *) sec_data (&r, SEC_LIST_SIZES, sizeof (guint32), h->lists_n);
  if ((h->codes_n && s->info == NULL) || (h->n_members && s->list_members == NULL)
      || (h->lists_n && s->list_sizes == NULL))
    return NULL;

  {
    const CmCondNode *nodes = sec_data (&r, SEC_NODES, sizeof (CmCondNode), h->n_nodes);
    const guint32 *strs = sec_data (&r, SEC_NODE_STRS, sizeof (guint32), h->n_nodes);
    const guint32 *kids = sec_data (&r, SEC_KIDS, sizeof (guint32), h->n_kids);
    if ((h->n_nodes && (nodes == NULL || strs == NULL)) || (h->n_kids && kids == NULL))
      return NULL;
    g_array_append_vals (s->nodes, nodes, h->n_nodes);
    for (guint i = 0; i < h->n_nodes; i++)
      if (strs[i])
        g_array_index (s->nodes, CmCondNode, i).str = pstr (&r, strs[i] - 1);
    g_array_append_vals (s->kids, kids, h->n_kids);
  }
  {
    const PMdc *pm = sec_data (&r, SEC_MDCS, sizeof (PMdc), h->n_mdcs);
    const PRule *pr = sec_data (&r, SEC_RULES, sizeof (PRule), h->n_rules);
    const PSplit *ps = sec_data (&r, SEC_SPLITS, sizeof (PSplit), h->n_splits);
    const PCheck *pc = sec_data (&r, SEC_CHECKS, sizeof (PCheck), h->n_checks);
    const PKv *kv = sec_data (&r, SEC_KV, sizeof (PKv), h->n_kv);
    if ((h->n_mdcs && !pm) || (h->n_rules && !pr) || (h->n_splits && !ps)
        || (h->n_checks && !pc) || (h->n_kv && !kv))
      return NULL;
    s->n_mdcs = h->n_mdcs;
    s->mdcs = g_new0 (CmDrgMdc, MAX (s->n_mdcs, 1));
    for (guint i = 0; i < s->n_mdcs; i++)
      s->mdcs[i] = (CmDrgMdc) { pstr (&r, pm[i].mdc), pm[i].cond, pm[i].rules_off,
                                pm[i].n_rules, pm[i].order };
    s->n_rules = h->n_rules;
    s->rules = g_new0 (CmDrgRule, MAX (s->n_rules, 1));
    for (guint i = 0; i < s->n_rules; i++)
      s->rules[i] = (CmDrgRule) { pstr (&r, pr[i].rule_id), pstr (&r, pr[i].adrg),
                                  pstr (&r, pr[i].fallback), pr[i].cond,
                                  (CmRuleKind) pr[i].kind, pr[i].splits_off,
                                  pr[i].n_splits, pr[i].order };
    s->n_splits = h->n_splits;
    s->splits = g_new0 (CmDrgSplit, MAX (s->n_splits, 1));
    for (guint i = 0; i < s->n_splits; i++)
      s->splits[i] = (CmDrgSplit) { pstr (&r, ps[i].drg), ps[i].cond, ps[i].line };
    s->n_checks = h->n_checks;
    s->checks = g_new0 (CmDrgCheck, MAX (s->n_checks, 1));
    for (guint i = 0; i < s->n_checks; i++)
      s->checks[i] = (CmDrgCheck) { pc[i].cond, pstr (&r, pc[i].status),
                                    pstr (&r, pc[i].description), pc[i].order };
    for (guint i = 0; i < h->n_kv; i++)
      {
        const char *k = pstr (&r, kv[i].key), *v = pstr (&r, kv[i].value);
        if (kv[i].table == 0)
          g_hash_table_replace (s->meta, g_strdup (k), g_strdup (v));
        else if (kv[i].table == 1)
          g_hash_table_replace (s->settings, g_strdup (k), g_strdup (v));
        else
          g_hash_table_replace (s->names, (char *) k, (char *) v);
      }
  }
  if (!cm_drg_scheme_read_settings (s, &error))
    return NULL;
  return g_steal_pointer (&s);
}
