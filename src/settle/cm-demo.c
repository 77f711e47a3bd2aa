/* cm-demo.c — the demo year (cm-demo.h).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every figure the demo invents (growth of the budgets, out-of-county
 * shares, assessment scores, headcounts, deductions, the committee's
 * decisions) is a constant of this file, chosen to exercise each branch
 * of the settlement rules once: a county alliance with a surplus, one
 * with a reasonable overspend, one failing the assessment; approved,
 * rejected and appealed special cases; a corrected month. They are
 * illustrative, not statistics of Zhuzhou or Yiyang. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include "cm-demo.h"
#include "cm-ledger-private.h"
#include "cm-settle-report.h"
#include "cm-catalogue.h"
#include "cm-episode-reader.h"
#include "cm-sample.h"
#include "cm-tables.h"
#include "cm-timeline.h"
#include "cm-xml-private.h"

#define E4 ((CmWide) CM_E4_ONE)

/* ---- the two demo regions ---------------------------------------------- */

typedef struct {
  const char *id;
  const char *name;
  const char *county;
  gint64 insured;
  int member;              /* -1 every hospital of the county, else the n-th */
  int growth_permille;     /* budget against the base year's actual */
  int out_permille;        /* out-of-county spending / in-county */
  int score;               /* assessment score */
  int unreasonable_permille;  /* overspend the review rejects, of A_base */
} AllianceSpec;

typedef struct {
  const char *pack;
  const char *prefix;
  const char *const *counties;
  const char *const *county_names;
  gboolean fund_budget;
  const AllianceSpec *alliances;
  guint n_alliances;
} RegionSpec;

static const char *const zz_counties[] = { "430202", "430203", "430204", "430211", "430212",
                                           "430223", "430224", "430225", "430281", NULL };
static const char *const zz_names[] = { "荷塘区", "芦淞区", "石峰区", "天元区", "渌口区",
                                        "攸县", "茶陵县", "炎陵县", "醴陵市", NULL };
static const AllianceSpec zz_alliances[] = {
  { "ZZ-YX", "攸县医共体 Youxian", "430223", 800000, -1, 60, 220, 92, 0 },
  { "ZZ-CL", "茶陵县医共体 Chaling", "430224", 620000, -1, -40, 280, 85, 10 },
  { "ZZ-YL", "炎陵县医共体 Yanling", "430225", 200000, -1, 120, 180, 55, 0 },
  { "ZZ-LL1", "醴陵市第一医共体 Liling 1", "430281", 600000, 0, 20, 250, 88, 0 },
  { "ZZ-LL2", "醴陵市第二医共体 Liling 2", "430281", 400000, 1, 20, 250, 78, 0 },
};

static const char *const yy_counties[] = { "430902", "430903", "430921", "430922", "430923",
                                           "430981", NULL };
static const char *const yy_names[] = { "资阳区", "赫山区", "南县", "桃江县", "安化县",
                                        "沅江市", NULL };
static const AllianceSpec yy_alliances[] = {
  { "YY-NX", "南县医共体 Nanxian", "430921", 700000, -1, 50, 200, 90, 0 },
  { "YY-TJ", "桃江县医共体 Taojiang", "430922", 780000, -1, -60, 260, 72, 15 },
  { "YY-AH", "安化县医共体 Anhua", "430923", 900000, -1, 100, 300, 95, 0 },
  { "YY-YJ", "沅江市医共体 Yuanjiang", "430981", 650000, -1, 0, 240, 58, 0 },
};

static const RegionSpec region_specs[] = {
  { "zhuzhou", "ZZ", zz_counties, zz_names, TRUE, zz_alliances,
    G_N_ELEMENTS (zz_alliances) },
  { "yiyang", "YY", yy_counties, yy_names, FALSE, yy_alliances,
    G_N_ELEMENTS (yy_alliances) },
};

/* Budget growth over the base year's fund spending (drg-payment.md §3,
 * dip.md §5): 4 % [A]. */
#define BUDGET_GROWTH_PERMILLE 40
/* Growth-based alliance budgets: g = 5 % [A]. */
#define ALLIANCE_GROWTH_E4 500

/* Official 2025 public holidays and adjusted working days (国务院办公厅关于
 * 2025年部分节假日安排的通知, 国办发明电〔2024〕12号) and 2026 New Year and
 * Spring Festival, used for the settlement deadlines. */
static const char *const holidays[][3] = {
  { "2025-01-01", "holiday", "元旦" },
  { "2025-01-26", "workday", "春节调休" },
  { "2025-01-28", "holiday", "春节" }, { "2025-01-29", "holiday", "春节" },
  { "2025-01-30", "holiday", "春节" }, { "2025-01-31", "holiday", "春节" },
  { "2025-02-01", "holiday", "春节" }, { "2025-02-02", "holiday", "春节" },
  { "2025-02-03", "holiday", "春节" }, { "2025-02-04", "holiday", "春节" },
  { "2025-02-08", "workday", "春节调休" },
  { "2025-04-04", "holiday", "清明节" }, { "2025-04-05", "holiday", "清明节" },
  { "2025-04-06", "holiday", "清明节" },
  { "2025-04-27", "workday", "劳动节调休" },
  { "2025-05-01", "holiday", "劳动节" }, { "2025-05-02", "holiday", "劳动节" },
  { "2025-05-03", "holiday", "劳动节" }, { "2025-05-04", "holiday", "劳动节" },
  { "2025-05-05", "holiday", "劳动节" },
  { "2025-05-31", "holiday", "端午节" }, { "2025-06-01", "holiday", "端午节" },
  { "2025-06-02", "holiday", "端午节" },
  { "2025-09-28", "workday", "国庆调休" },
  { "2025-10-01", "holiday", "国庆节、中秋节" }, { "2025-10-02", "holiday", "国庆节、中秋节" },
  { "2025-10-03", "holiday", "国庆节、中秋节" }, { "2025-10-04", "holiday", "国庆节、中秋节" },
  { "2025-10-05", "holiday", "国庆节、中秋节" }, { "2025-10-06", "holiday", "国庆节、中秋节" },
  { "2025-10-07", "holiday", "国庆节、中秋节" }, { "2025-10-08", "holiday", "国庆节、中秋节" },
  { "2025-10-11", "workday", "国庆调休" },
  { "2026-01-01", "holiday", "元旦" }, { "2026-01-02", "holiday", "元旦" },
  { "2026-01-03", "holiday", "元旦" }, { "2026-01-04", "workday", "元旦调休" },
};

/* ---- small helpers ------------------------------------------------------ */

/* num / den half-up, 0 when it cannot be computed (the demo's own figures). */
static inline void
div_to (CmWide num, CmWide den, gint64 *out)
{
  if (!cm_wide_div_half_up (num, den, out))
    *out = 0;
}

static void
demo_region_free (gpointer p)
{
  CmDemoRegion *r = p;
  g_free (r->pack);
  g_free (r->region);
  g_free (r->name);
  g_free (r->method);
  g_free (r->dir);
  g_free (r->year_xlsx);
  g_free (r->year_html);
  g_free (r);
}

void
cm_demo_result_free (CmDemoResult *r)
{
  if (r == NULL)
    return;
  g_free (r->out_dir);
  g_free (r->ledger);
  g_free (r->digest);
  g_clear_pointer (&r->regions, g_ptr_array_unref);
  g_free (r);
}

void
cm_demo_options_init (CmDemoOptions *o)
{
  g_return_if_fail (o != NULL);
  memset (o, 0, sizeof *o);
  o->out_dir = "demo-out";
  o->cases_per_month = 5000;
  o->base_year = 2024;
  o->year = 2025;
  o->seed = 2025;
}

typedef struct {
  const CmDemoOptions *opt;
  guint done, total;
} Progress;

static void
step (Progress *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
step (Progress *p, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  if (p->opt->progress != NULL)
    {
      va_start (ap, format);
      msg = g_strdup_vprintf (format, ap);
      va_end (ap);
      p->opt->progress (p->opt->progress_data, msg, p->done, p->total);
    }
  p->done++;
}

static gboolean
io_fail (GError **error, const char *path)
{
  g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_IO, "%s: %s", path,
               g_strerror (errno));
  return FALSE;
}

static gboolean
write_file (const char *path, const GString *s, GError **error)
{
  return g_file_set_contents (path, s->str, (gssize) s->len, error);
}

/* Deterministic noise in [-range, range] permille from a seed and keys. */
static int
noise (guint32 seed, guint a, guint b, int range)
{
  guint32 h = seed * 2654435761u ^ (a + 0x9e3779b9u) * 40503u ^ (b + 7u) * 2246822519u;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  return (int) (h % (guint32) (2 * range + 1)) - range;
}

/* ---- sample and catalogue ----------------------------------------------- */

static gboolean
sample_file (CmScheme *codes, const RegionSpec *rs, int year, int month, guint64 n,
             guint32 seed, const char *prefix, const char *path, GError **error)
{
  CmSampleOptions so;
  FILE *f;
  gboolean ok;
  guint nc = g_strv_length ((char **) rs->counties);

  cm_sample_options_init (&so);
  so.n = n;
  so.seed = seed;
  so.year = year;
  so.month = month;
  so.n_hospitals = 2 * nc;
  so.id_prefix = prefix;
  so.counties = rs->counties;
  f = fopen (path, "w");
  if (f == NULL)
    return io_fail (error, path);
  ok = cm_sample_write (codes, &so, f, error);
  if (fclose (f) != 0 && ok)
    return io_fail (error, path);
  return ok;
}

static gboolean
build_catalogue (CmPolicy *shipped, const char *episodes, const char *out_path,
                 CmSchemeFamily *family_out, GError **error)
{
  CmTimeline *tl = cm_policy_get_timeline (shipped);
  CmScheme *scheme = cm_timeline_get_scheme (tl, 0);
  CmSchemeFamily family = cm_scheme_get_family (scheme);
  g_autoptr (CmDipPool) pool = NULL;
  g_autoptr (CmCatalogueBuilder) builder = NULL;
  g_autoptr (CmGroupContext) gctx = cm_group_context_new (scheme);
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *base = g_path_get_basename (episodes);
  CmCatalogueOptions copt;
  FILE *in, *out;
  gboolean ok;

  cm_catalogue_options_init (&copt, family);
  if (family == CM_SCHEME_FAMILY_DIP)
    {
      static const CmDipPoolLevel levels[] = { CM_DIP_POOL_CATEGORY, CM_DIP_POOL_CHAPTER,
                                               CM_DIP_POOL_ALL };
      g_autofree char *dir = cm_tables_find (cm_scheme_get_id (scheme), error);
      if (dir == NULL)
        return FALSE;
      pool = cm_dip_pool_load (dir, levels, G_N_ELEMENTS (levels), error);
      if (pool == NULL)
        return FALSE;
    }
  builder = cm_catalogue_builder_new (family, &copt, pool);
  in = fopen (episodes, "r");
  if (in == NULL)
    return io_fail (error, episodes);
  reader = cm_episode_reader_new (in, CM_INPUT_EPISODES);
  for (;;)
    {
      CmEpisode ep;
      CmReject rej;
      CmGroupResult res;
      CmReadResult rr = cm_episode_reader_next (reader, &ep, &rej, &local);
      if (rr == CM_READ_EOF)
        break;
      if (rr == CM_READ_ERROR)
        {
          fclose (in);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (rr == CM_READ_REJECT)
        continue;
      cm_group (gctx, &ep, CM_GROUP_DEFAULT, &res);
      cm_catalogue_builder_add (builder, &ep, &res);
    }
  g_clear_pointer (&reader, cm_episode_reader_free);
  fclose (in);
  out = fopen (out_path, "w");
  if (out == NULL)
    return io_fail (error, out_path);
  {
    g_autofree char *cmd = g_strdup_printf ("casemix demo (base year file %s)", base);
    const char *meta[] = { "built_by", cmd, NULL };
    ok = cm_catalogue_builder_write (builder, out, meta, error);
  }
  if (fclose (out) != 0 && ok)
    return io_fail (error, out_path);
  *family_out = family;
  return ok;
}

/* ---- the demo pack ------------------------------------------------------ */

typedef struct {
  /* [0] employee, [1] resident */
  CmFen fund[2], cost[2];
  CmE4 weight[2];           /* Σ round4 (RW × c) of DRG cases */
  CmE4 points[2];           /* Σ points of DIP point cases */
  GHashTable *hospital_fund;  /* id → CmFen*, fund of the year */
  GHashTable *hospital_level; /* id → level */
  GHashTable *hospital_county;  /* id → county (owned strings) */
  GHashTable *county_local_fund;  /* county → CmFen*: local insured */
  GHashTable *px_count;     /* procedure → count */
} BaseStats;

static void
base_stats_clear (BaseStats *b)
{
  g_clear_pointer (&b->hospital_fund, g_hash_table_unref);
  g_clear_pointer (&b->hospital_level, g_hash_table_unref);
  g_clear_pointer (&b->hospital_county, g_hash_table_unref);
  g_clear_pointer (&b->county_local_fund, g_hash_table_unref);
  g_clear_pointer (&b->px_count, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BaseStats, base_stats_clear)

static void
add_fen (GHashTable *t, const char *key, CmFen v)
{
  CmFen *p = g_hash_table_lookup (t, key);
  if (p == NULL)
    {
      p = g_new0 (CmFen, 1);
      g_hash_table_insert (t, g_strdup (key), p);
    }
  *p += v;
}

static CmFen
get_fen (GHashTable *t, const char *key)
{
  CmFen *p = g_hash_table_lookup (t, key);
  return p ? *p : 0;
}

static gboolean
base_stats (CmPolicy *pack, const char *episodes, BaseStats *b, GError **error)
{
  CmPriceOptions popt = { CM_PRICE_STAGE_PROVISIONAL, FALSE };
  g_autoptr (CmPriceContext) pctx = cm_price_context_new (pack, &popt, error);
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) local = NULL;
  FILE *in;

  if (pctx == NULL)
    return FALSE;
  b->hospital_fund = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  b->hospital_level = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->hospital_county = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  b->county_local_fund = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  b->px_count = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  in = fopen (episodes, "r");
  if (in == NULL)
    return io_fail (error, episodes);
  reader = cm_episode_reader_new (in, CM_INPUT_EPISODES);
  for (;;)
    {
      CmEpisode ep;
      CmReject rej;
      CmPricedCase pc;
      CmReadResult rr = cm_episode_reader_next (reader, &ep, &rej, &local);
      int ins;

      if (rr == CM_READ_EOF)
        break;
      if (rr == CM_READ_ERROR)
        {
          fclose (in);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (rr == CM_READ_REJECT)
        continue;
      cm_price_episode (pctx, &ep, &pc, NULL);
      if (pc.method == CM_PAY_METHOD_EXCLUDED)
        continue;
      /* what the fund paid by item in the base year: the basis of the
       * prepayments, deductions and alliance budgets (the demo year's
       * prices are set so that payments track it, plus the growth) */
      add_fen (b->hospital_fund, ep.hospital_id, ep.fund_paid_ffs_fen);
      g_hash_table_insert (b->hospital_level, g_strdup (ep.hospital_id),
                           GINT_TO_POINTER (ep.hospital_level));
      g_hash_table_insert (b->hospital_county, g_strdup (ep.hospital_id),
                           g_strdup (ep.county_id));
      if (ep.insured_region == CM_REGION_LOCAL)
        add_fen (b->county_local_fund, ep.county_id, ep.fund_paid_ffs_fen);
      for (guint i = 0; i < ep.n_px; i++)
        g_hash_table_insert (b->px_count, g_strdup (ep.px[i]),
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (
                               g_hash_table_lookup (b->px_count, ep.px[i])) + 1));
      ins = ep.insurance_type == CM_INSURANCE_EMPLOYEE ? 0 : 1;
      if (pc.method == CM_PAY_METHOD_DRG && pc.weight_e4 > 0)
        {
          CmE4 w;
          if (cm_price_drg_case_points_e4 (pc.weight_e4, CM_E4_ONE, pc.coefficient_e4, &w))
            b->weight[ins] += w;
          b->fund[ins] += ep.fund_paid_ffs_fen;
          b->cost[ins] += ep.total_cost_fen;
        }
      else if (pc.method == CM_PAY_METHOD_DIP
               && cm_ledger_is_point_case (pc.method, pc.case_class, pc.points_e4,
                                           pc.point_value_e4))
        {
          b->points[ins] += pc.points_e4;
          b->fund[ins] += ep.fund_paid_ffs_fen;
          b->cost[ins] += ep.total_cost_fen;
        }
    }
  fclose (in);
  return TRUE;
}

/* The shipped pack's policy.xml with the first <year> made the base year
 * (its table replaced by @table) and a copy of it for the demo year; rates
 * (DRG) or provisional point values (DIP) of the demo year replaced when
 * given ([0] employee, [1] resident). */
static gboolean
write_policy (const char *shipped_xml, const char *pack_dir, int base_year, int year,
              const char *table, const CmFen *rates, const CmE4 *pvs, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *path = g_build_filename (pack_dir, "policy.xml", NULL);
  g_autofree char *by = g_strdup_printf ("%d", base_year);
  g_autofree char *yy = g_strdup_printf ("%d", year);
  xmlNode *root, *tmpl = NULL, *copy;

  doc = xmlReadFile (shipped_xml, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR
                                        | XML_PARSE_NOWARNING);
  if (doc == NULL)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s: does not parse",
                   shipped_xml);
      return FALSE;
    }
  root = xmlDocGetRootElement (doc);
  for (xmlNode *n = root->children; n && tmpl == NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, "year") == 0)
      tmpl = n;
  if (tmpl == NULL)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s: no <year>",
                   shipped_xml);
      return FALSE;
    }
  /* keep only the template year */
  for (xmlNode *n = root->children, *next; n; n = next)
    {
      next = n->next;
      if (n != tmpl && n->type == XML_ELEMENT_NODE
          && strcmp ((const char *) n->name, "year") == 0)
        {
          xmlUnlinkNode (n);
          xmlFreeNode (n);
        }
    }
  xmlSetProp (tmpl, (const xmlChar *) "value", (const xmlChar *) by);
  for (xmlNode *s = tmpl->children; s; s = s->next)
    for (xmlNode *t = s->children; t; t = t->next)
      if (t->type == XML_ELEMENT_NODE && (strcmp ((const char *) t->name, "weights") == 0
                                          || strcmp ((const char *) t->name, "scores") == 0))
        xmlSetProp (t, (const xmlChar *) "href", (const xmlChar *) table);
  copy = xmlCopyNode (tmpl, 1);
  xmlSetProp (copy, (const xmlChar *) "value", (const xmlChar *) yy);
  for (xmlNode *s = copy->children; s; s = s->next)
    for (xmlNode *t = s->children; t; t = t->next)
      {
        g_autoptr (CmXmlString) ins = NULL;
        int k;
        char buf[CM_MONEY_BUF];

        if (t->type != XML_ELEMENT_NODE)
          continue;
        ins = xmlGetProp (t, (const xmlChar *) "insurance");
        k = ins && strcmp ((const char *) ins, "resident") == 0 ? 1 : 0;
        if (rates != NULL && strcmp ((const char *) t->name, "rate") == 0
            && strcmp ((const char *) s->name, "drg") == 0)
          {
            cm_fen_format (rates[k], buf);
            xmlNodeSetContent (t, (const xmlChar *) buf);
          }
        else if (pvs != NULL && strcmp ((const char *) t->name, "point-value") == 0)
          {
            cm_e4_format (pvs[k], buf);
            xmlNodeSetContent (t, (const xmlChar *) buf);
          }
      }
  xmlAddNextSibling (tmpl, xmlNewText ((const xmlChar *) "\n\n  "));
  xmlAddNextSibling (tmpl->next, copy);
  {
    g_autofree char *c = g_strdup_printf (
      " Generated by `casemix demo` from the shipped illustrative pack: the base year %d "
      "with the catalogue built from synthetic base-year episodes (%s), and the demo year "
      "%d with %s derived from the base year's spending and a %d %% budget growth. "
      "Illustrative figures, not official ones. ", base_year, table, year,
      rates ? "DRG rates = round2 (F / p / W) (drg-payment.md §3)"
            : "provisional point values = round4 (C / P) (dip.md §5 PV-1)",
      BUDGET_GROWTH_PERMILLE / 10);
    xmlAddPrevSibling (root, xmlNewDocComment (doc, (const xmlChar *) c));
  }
  if (xmlSaveFormatFileEnc (path, doc, "UTF-8", 0) < 0)
    return io_fail (error, path);
  return TRUE;
}

static gboolean
copy_file (const char *from, const char *to, GError **error)
{
  g_autofree char *bytes = NULL;
  gsize len = 0;
  if (!g_file_get_contents (from, &bytes, &len, error))
    return FALSE;
  return g_file_set_contents (to, bytes, (gssize) len, error);
}

static const char *
county_name (const RegionSpec *rs, const char *county)
{
  for (guint i = 0; rs->counties[i]; i++)
    if (strcmp (rs->counties[i], county) == 0)
      return rs->county_names[i];
  return county;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Hospitals of @county in the base year, sorted. */
static GPtrArray *
county_hospitals (const BaseStats *b, const char *county)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, b->hospital_county);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (strcmp (v, county) == 0)
      g_ptr_array_add (list, k);
  g_ptr_array_sort (list, cmp_str);
  return list;
}

typedef struct {
  CmFen base_in_county;    /* in-county fund of the local insured, base year */
  CmFen base_actual;       /* + out-of-county */
} AllianceBase;

static gboolean
write_settlement (const RegionSpec *rs, CmPolicy *pack, const BaseStats *b,
                  CmSchemeFamily family, const char *pack_dir, int year,
                  guint32 seed, AllianceBase *ab, GError **error)
{
  g_autoptr (GString) xml = g_string_new (NULL);
  g_autoptr (GString) hosp = g_string_new ("hospital_id\tname\tprepayment\tscore\t"
                                           "audit_deductions\treasonable_loss\n");
  g_autoptr (GString) all = g_string_new ("alliance_id\tname\tcounty_id\tinsured\tmembers\t"
                                          "previous_actual\tscore\tunreasonable_overspend\n");
  g_autoptr (GString) cal = g_string_new ("date\tkind\tname\n");
  g_autoptr (GString) tech = g_string_new ("code\tname\tsince\n");
  g_autoptr (GString) counties = g_string_new (NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autoptr (GPtrArray) rare = g_ptr_array_new ();
  g_autofree char *p = NULL;
  GHashTableIter it;
  gpointer k, v;
  char buf[CM_MONEY_BUF], buf2[CM_MONEY_BUF];

  /* hospitals: prepayment = one month of base-year fund payments for the
   * level 2 and 3 hospitals (settlement.md §1, settle.prepay.months 1) */
  g_hash_table_iter_init (&it, b->hospital_fund);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_ptr_array_add (ids, k);
  g_ptr_array_sort (ids, cmp_str);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = ids->pdata[i];
      int level = GPOINTER_TO_INT (g_hash_table_lookup (b->hospital_level, id));
      const char *county = county_name (rs, g_hash_table_lookup (b->hospital_county, id));
      CmFen prepay = 0, deduct = 0;
      int score = 86 + noise (seed, i, 1, 12);

      if (level >= 2)
        div_to (get_fen (b->hospital_fund, id), 12, &prepay);
      if (i % 7 == 3)
        div_to ((CmWide) get_fen (b->hospital_fund, id) * 2, 1000, &deduct);
      if (score > 100)
        score = 100;
      cm_fen_format (prepay, buf);
      cm_fen_format (deduct, buf2);
      g_string_append_printf (hosp, "%s\t%s%s (demo)\t%s\t%d\t%s\t\n", id, county,
                              level == 3 ? "第一人民医院" : level == 2 ? "人民医院"
                              : "中心卫生院", buf, score, buf2);
    }

  /* new technologies: the rare procedures of the base year (3–9 cases) */
  g_hash_table_iter_init (&it, b->px_count);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (GPOINTER_TO_UINT (v) >= 3 && GPOINTER_TO_UINT (v) <= 9)
      g_ptr_array_add (rare, k);
  g_ptr_array_sort (rare, cmp_str);
  for (guint i = 0; i < rare->len && i < 12; i++)
    g_string_append_printf (tech, "%s\tdemo new technology %u\t%d-01-01\n",
                            (const char *) rare->pdata[i], i + 1, year);

  for (guint i = 0; i < G_N_ELEMENTS (holidays); i++)
    g_string_append_printf (cal, "%s\t%s\t%s\n", holidays[i][0], holidays[i][1],
                            holidays[i][2]);

  /* alliances (medical-alliance.md §2) */
  for (guint i = 0; i < rs->n_alliances; i++)
    {
      const AllianceSpec *a = &rs->alliances[i];
      g_autoptr (GPtrArray) members = county_hospitals (b, a->county);
      CmFen in_county = 0, prev;
      g_autofree char *mem = NULL;

      if (a->member < 0)
        {
          /* only the local insured are the alliance's */
          in_county = get_fen (b->county_local_fund, a->county);
          mem = g_strdup ("");
        }
      else if ((guint) a->member < members->len)
        {
          const char *h = members->pdata[a->member];
          CmFen all_local = get_fen (b->county_local_fund, a->county);
          CmFen h_fund = get_fen (b->hospital_fund, h), c_fund = 0;
          for (guint m = 0; m < members->len; m++)
            c_fund += get_fen (b->hospital_fund, members->pdata[m]);
          if (c_fund > 0)
            div_to ((CmWide) all_local * h_fund, c_fund, &in_county);
          mem = g_strdup (h);
        }
      else
        mem = g_strdup ("");
      ab[i].base_in_county = in_county;
      div_to ((CmWide) in_county * (1000 + a->out_permille), 1000,
                           &ab[i].base_actual);
      div_to ((CmWide) ab[i].base_actual * (1000 + a->growth_permille), 1000,
                           &prev);
      if (!rs->fund_budget)
        {
          /* growth-based: B = A_prev × (1 + g), A_prev chosen so that B is
           * the base year's actual moved by the spec's growth */
          div_to ((CmWide) prev * E4, E4 + ALLIANCE_GROWTH_E4, &prev);
        }
      {
        CmFen unreasonable = 0;
        char prevs[CM_MONEY_BUF], unr[CM_MONEY_BUF];
        div_to ((CmWide) ab[i].base_actual * a->unreasonable_permille, 1000,
                             &unreasonable);
        cm_fen_format (rs->fund_budget ? 0 : prev, prevs);
        cm_fen_format (unreasonable, unr);
        g_string_append_printf (all, "%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%d\t%s\n",
                                a->id, a->name, a->county, a->insured, mem,
                                rs->fund_budget ? "" : prevs, a->score, unr);
      }
    }
  if (rs->fund_budget)
    {
      /* per county: F and S so that B_county = F − S − R is Σ of the
       * alliances' targets (base actual × growth) */
      for (guint i = 0; i < rs->n_alliances; i++)
        {
          const AllianceSpec *a = &rs->alliances[i];
          CmFen target = 0, s, f;
          gboolean first = TRUE;

          for (guint j = 0; j < i; j++)
            if (strcmp (rs->alliances[j].county, a->county) == 0)
              first = FALSE;
          if (!first)
            continue;
          for (guint j = i; j < rs->n_alliances; j++)
            if (strcmp (rs->alliances[j].county, a->county) == 0)
              {
                CmFen t;
                div_to ((CmWide) ab[j].base_actual
                                     * (1000 + rs->alliances[j].growth_permille), 1000, &t);
                target += t;
              }
          /* S = 5 % of the target (大病保险 transfer); F = (B + S) / (1 − r) */
          div_to ((CmWide) target * 5, 100, &s);
          div_to ((CmWide) (target + s) * E4, E4 - 500, &f);
          cm_fen_format (f, buf);
          cm_fen_format (s, buf2);
          g_string_append_printf (counties, "      <county id=\"%s\" fund=\"%s\" "
                                  "ring-fenced=\"%s\"/>  <!-- %s -->\n", a->county, buf, buf2,
                                  county_name (rs, a->county));
        }
    }

  /* settlement.xml */
  g_string_append_printf (xml,
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- Generated by `casemix demo`: settlement parameters of the demo year,\n"
    "     derived from the synthetic base year. Illustrative figures, not official ones.\n"
    "     Format: tables/policy/settlement.rng, docs/settlement.md §3. -->\n"
    "<settlement format=\"1\" region=\"%s\" name=\"%s\" illustrative=\"true\">\n"
    "  <year value=\"%d\">\n"
    "    <!-- Hunan target: settled within 15 working days (settlement.md §1) -->\n"
    "    <monthly basis=\"discharge\" quality-reserve=\"0.05\" deadline-working-days=\"15\"\n"
    "             declaration-day=\"10\"/>\n", cm_policy_get_region (pack),
    cm_policy_get_name (pack), year);
  if (family == CM_SCHEME_FAMILY_DIP)
    {
      g_string_append (xml, "    <!-- DIP fund budgets per fund (dip.md §5 PV-3): base-year fund "
                       "spending + growth; fund-share = base-year fund / cost -->\n"
                       "    <budget pools=\"insurance\">\n");
      for (int ins = 0; ins < 2; ins++)
        {
          CmFen f;
          CmE4 share;
          div_to ((CmWide) b->fund[ins] * (1000 + BUDGET_GROWTH_PERMILLE), 1000,
                               &f);
          div_to ((CmWide) b->fund[ins] * E4, MAX (b->cost[ins], 1), &share);
          cm_fen_format (f, buf);
          cm_e4_format (share, buf2);
          g_string_append_printf (xml, "      <fund insurance=\"%s\" amount=\"%s\" "
                                  "fund-share=\"%s\"/>\n", ins ? "resident" : "employee",
                                  buf, buf2);
        }
      g_string_append (xml, "    </budget>\n");
    }
  g_string_append (xml,
    "    <special-case cap-drg=\"0.05\" cap-dip=\"0.005\" cycle=\"quarter\" "
    "long-stay-days=\"60\"\n"
    "                  high-cost-multiple=\"3\">\n"
    "      <new-technology href=\"new-technology.tsv\"/>\n"
    "    </special-case>\n"
    "    <clearing default-score=\"100\"/>\n");
  g_string_append_printf (xml,
    "    <alliance budget=\"%s\" risk-reserve=\"0.05\" growth=\"0.05\" pass-mark=\"60\">\n"
    "      <surplus-tier up-to=\"0.10\" retained=\"1.00\"/>\n"
    "      <surplus-tier retained=\"0.50\"/>\n"
    "      <overspend-tier up-to=\"0.05\" fund-share=\"0.50\"/>\n"
    "      <overspend-tier up-to=\"0.10\" fund-share=\"0.30\"/>\n"
    "      <overspend-tier fund-share=\"0\"/>\n"
    "%s"
    "      <alliances href=\"alliances.tsv\"/>\n"
    "    </alliance>\n"
    "    <hospitals href=\"hospitals.tsv\"/>\n"
    "    <calendar href=\"holidays.tsv\"/>\n"
    "  </year>\n"
    "</settlement>\n", rs->fund_budget ? "fund" : "growth", counties->str);

  p = g_build_filename (pack_dir, "settlement.xml", NULL);
  if (!write_file (p, xml, error))
    return FALSE;
  g_free (p);
  p = g_build_filename (pack_dir, "hospitals.tsv", NULL);
  if (!write_file (p, hosp, error))
    return FALSE;
  g_free (p);
  p = g_build_filename (pack_dir, "alliances.tsv", NULL);
  if (!write_file (p, all, error))
    return FALSE;
  g_free (p);
  p = g_build_filename (pack_dir, "holidays.tsv", NULL);
  if (!write_file (p, cal, error))
    return FALSE;
  g_free (p);
  p = g_build_filename (pack_dir, "new-technology.tsv", NULL);
  return write_file (p, tech, error);
}

/* ---- the year ----------------------------------------------------------- */

/* A corrected declaration of a month: one case's cost up 10 %, the first
 * two cases withdrawn (settlement.md §6). */
static gboolean
write_correction (const char *from, const char *to, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean changed = FALSE;

  if (!g_file_get_contents (from, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (i == 1 || i == 2)
        continue;
      if (i >= 3 && !changed)
        {
          g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
          CmFen cost;
          if (g_strv_length (f) == 24 && cm_fen_parse (f[19], &cost, NULL))
            {
              char buf[CM_MONEY_BUF];
              div_to ((CmWide) cost * 11, 10, &cost);
              cm_fen_format (cost, buf);
              g_free (f[19]);
              f[19] = g_strdup (buf);
              {
                g_autofree char *joined = g_strjoinv (",", f);
                g_string_append_printf (out, "%s\n", joined);
              }
              changed = TRUE;
              continue;
            }
        }
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  return write_file (to, out, error);
}

static gboolean
write_deductions (const BaseStats *b, guint32 seed, int month, const char *path,
                  GError **error)
{
  g_autoptr (GString) s = g_string_new ("hospital_id\tamount\treason\n");
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, b->hospital_fund);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_ptr_array_add (ids, k);
  g_ptr_array_sort (ids, cmp_str);
  for (guint i = 0; i < ids->len; i++)
    {
      CmFen d;
      char buf[CM_MONEY_BUF];
      if ((i + (guint) month) % 5 != 0)
        continue;
      /* 0.2–0.6 % of a month of the hospital's base-year fund */
      div_to ((CmWide) *(CmFen *) g_hash_table_lookup (b->hospital_fund,
                                                                    ids->pdata[i])
                           * (4 + noise (seed, i, (guint) month, 2)), 12 * 1000, &d);
      cm_fen_format (d, buf);
      g_string_append_printf (s, "%s\t%s\t%s\n", (const char *) ids->pdata[i], buf,
                              i % 2 ? "audit refusal: upcoding (高套编码)"
                                    : "audit refusal: split admission (分解住院)");
    }
  return write_file (path, s, error);
}

/* The quarter's review: each hospital submits up to three candidates paid
 * less than their cost (new technology, extreme and long stays first); the committee approves new
 * technology and long stays at cost (FFS), extreme cases and cases above
 * five times their reference at twice the standard (capped at the cost),
 * rejects the rest; the first rejected case
 * appeals and is approved at the mean of its payment and cost. */
static gboolean
review_quarter (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *config,
                int year, int quarter, CmDemoRegion *out, GError **error)
{
  g_autofree char *cycle = g_strdup_printf ("%04d-Q%d", year, quarter);
  g_autoptr (GPtrArray) quotas = NULL;
  g_autoptr (GPtrArray) cands = NULL;
  g_autoptr (GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) chosen = g_ptr_array_new ();
  const CmSpecialCase *appeal = NULL;
  const guint prefer = CM_SPECIAL_FLAG_NEW_TECH | CM_SPECIAL_FLAG_EXTREME
                       | CM_SPECIAL_FLAG_LONG_STAY;

  cands = cm_ledger_special_list (ledger, config, cm_policy_get_region (policy), cycle, TRUE,
                                  &quotas, error);
  if (cands == NULL)
    return FALSE;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < cands->len; i++)
      {
        const CmSpecialCase *c = cands->pdata[i];
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (used, c->hospital_id));
        gint64 cap = 0;
        gboolean preferred = (c->flags & prefer) != 0;

        if ((pass == 0) != preferred)
          continue;
        /* hospitals submit the cases the group price leaves at a loss */
        if (c->pay_fen >= c->cost_fen)
          continue;
        for (guint q = 0; q < quotas->len; q++)
          if (strcmp (((CmSpecialQuota *) quotas->pdata[q])->hospital_id, c->hospital_id) == 0)
            cap = ((CmSpecialQuota *) quotas->pdata[q])->cap;
        if (n >= 3 || (gint64) n >= cap)
          continue;
        g_hash_table_insert (used, c->hospital_id, GUINT_TO_POINTER (n + 1));
        g_ptr_array_add (chosen, (gpointer) c);
      }
  for (guint i = 0; i < chosen->len; i++)
    {
      const CmSpecialCase *c = chosen->pdata[i];
      CmSpecialAction a = CM_SPECIAL_REJECT;
      CmSpecialPayRule rule = CM_SPECIAL_PAY_FFS;
      CmFen amount = 0;

      if (!cm_ledger_special_act (ledger, policy, config, c->episode_id, CM_SPECIAL_SUBMIT,
                                  rule, 0, "submitted by the hospital", error)
          || !cm_ledger_special_act (ledger, policy, config, c->episode_id,
                                     CM_SPECIAL_START, rule, 0, NULL, error))
        return FALSE;
      out->n_special_submitted++;
      if (c->flags & (CM_SPECIAL_FLAG_NEW_TECH | CM_SPECIAL_FLAG_LONG_STAY
                      | CM_SPECIAL_FLAG_EXTREME) || c->ratio_e4 >= 5 * CM_E4_ONE)
        a = CM_SPECIAL_APPROVE;
      if (!cm_ledger_special_act (ledger, policy, config, c->episode_id, a, rule, amount,
                                  a == CM_SPECIAL_APPROVE
                                  ? (c->flags & CM_SPECIAL_FLAG_NEW_TECH
                                     ? "approved: new technology, paid by item"
                                     : c->flags & CM_SPECIAL_FLAG_LONG_STAY
                                     ? "approved: long stay, paid by item"
                                     : "approved: extreme cost, paid by item")
                                  : "rejected: within the group's range of care", error))
        return FALSE;
      if (a == CM_SPECIAL_APPROVE)
        out->n_special_approved++;
      else if (appeal == NULL)
        appeal = c;
    }
  if (appeal != NULL)
    {
      CmFen amount = (appeal->pay_fen + appeal->cost_fen) / 2;
      if (!cm_ledger_special_act (ledger, policy, config, appeal->episode_id,
                                  CM_SPECIAL_APPEAL, CM_SPECIAL_PAY_FFS, 0,
                                  "appealed with the full record", error)
          || !cm_ledger_special_act (ledger, policy, config, appeal->episode_id,
                                     CM_SPECIAL_APPROVE, CM_SPECIAL_PAY_AMOUNT, amount,
                                     "approved on appeal at the mean of payment and cost",
                                     error))
        return FALSE;
      out->n_special_approved++;
    }
  return TRUE;
}

static gboolean
alliance_charges (const RegionSpec *rs, const AllianceBase *ab, int year, guint32 seed,
                  const char *path, GError **error)
{
  g_autoptr (GString) s = g_string_new ("alliance_id\tmonth\tkind\tamount\n");

  for (guint i = 0; i < rs->n_alliances; i++)
    for (int m = 1; m <= 12; m++)
      {
        CmFen monthly, amount;
        char buf[CM_MONEY_BUF];
        div_to ((CmWide) ab[i].base_in_county * rs->alliances[i].out_permille,
                             12 * 1000, &monthly);
        div_to ((CmWide) monthly * (1000 + noise (seed, i, (guint) m, 100)), 1000,
                             &amount);
        cm_fen_format (amount, buf);
        g_string_append_printf (s, "%s\t%04d-%02d\tout_of_county\t%s\n",
                                rs->alliances[i].id, year, m, buf);
      }
  return write_file (path, s, error);
}

static gboolean
run_region (const CmDemoOptions *opt, const RegionSpec *rs, CmLedger *ledger,
            Progress *prog, CmDemoRegion *out, GError **error)
{
  g_autofree char *dir = g_build_filename (opt->out_dir, rs->pack, NULL);
  g_autofree char *pack_dir = g_build_filename (dir, "pack", NULL);
  g_autofree char *shipped_xml = NULL;
  g_autofree char *shipped_dir = NULL;
  g_autofree char *base_csv = NULL;
  g_autofree char *table = NULL;
  g_autofree char *table_path = NULL;
  g_autofree char *codes_dir = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr (CmPolicy) shipped = NULL;
  g_autoptr (CmPolicy) pack = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  g_autoptr (CmScheme) codes = NULL;
  g_autoptr (CmYearResult) yr = NULL;
  g_autoptr (CmAllianceYear) ay = NULL;
  g_autoptr (CmReport) rep = NULL;
  g_auto (BaseStats) base = { { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, NULL, NULL, NULL,
                              NULL, NULL };
  AllianceBase ab[8];
  CmSchemeFamily family = CM_SCHEME_FAMILY_DRG;
  CmFen rates[2];
  CmE4 pvs[2];

  if (g_mkdir_with_parents (pack_dir, 0755) != 0)
    return io_fail (error, pack_dir);
  shipped_xml = cm_policy_find (rs->pack, error);
  if (shipped_xml == NULL)
    return FALSE;
  shipped_dir = g_path_get_dirname (shipped_xml);
  shipped = cm_policy_load (shipped_xml, error);
  if (shipped == NULL)
    return FALSE;
  out->pack = g_strdup (rs->pack);
  out->region = g_strdup (cm_policy_get_region (shipped));
  out->dir = g_strdup (dir);

  /* 1. the base year and its catalogue */
  step (prog, "%s: base year %d, %" G_GUINT64_FORMAT " synthetic episodes", rs->pack,
        opt->base_year, opt->cases_per_month * 12);
  codes_dir = cm_tables_find ("changsha-2023", error);
  if (codes_dir == NULL)
    return FALSE;
  codes = cm_scheme_load (codes_dir, error);
  if (codes == NULL)
    return FALSE;
  base_csv = g_strdup_printf ("%s/episodes-%d.csv", dir, opt->base_year);
  prefix = g_strdup_printf ("%sB%02d-", rs->prefix, opt->base_year % 100);
  if (!sample_file (codes, rs, opt->base_year, 0, opt->cases_per_month * 12,
                    opt->seed ^ 0xB45E, prefix, base_csv, error))
    return FALSE;
  step (prog, "%s: catalogue from the base year", rs->pack);
  {
    CmScheme *s = cm_timeline_get_scheme (cm_policy_get_timeline (shipped), 0);
    family = cm_scheme_get_family (s);
  }
  table = g_strdup_printf (family == CM_SCHEME_FAMILY_DRG ? "drg-weights-%d.tsv"
                                                          : "dip-scores-%d.tsv",
                           opt->base_year);
  table_path = g_build_filename (pack_dir, table, NULL);
  if (!build_catalogue (shipped, base_csv, table_path, &family, error))
    return FALSE;

  /* 2. the pack: base-year prices, then the demo year's from the budget */
  step (prog, "%s: policy pack for %d (budget, rates or point values)", rs->pack, opt->year);
  {
    g_autofree char *from = g_build_filename (shipped_dir, "schemes.tsv", NULL);
    g_autofree char *to = g_build_filename (pack_dir, "schemes.tsv", NULL);
    if (!copy_file (from, to, error))
      return FALSE;
  }
  if (!write_policy (shipped_xml, pack_dir, opt->base_year, opt->year, table, NULL, NULL,
                     error))
    return FALSE;
  pack = cm_policy_load (pack_dir, error);
  if (pack == NULL)
    return FALSE;
  if (!base_stats (pack, base_csv, &base, error))
    return FALSE;
  for (int ins = 0; ins < 2; ins++)
    {
      CmFen f;
      CmE4 p;
      div_to ((CmWide) base.fund[ins] * (1000 + BUDGET_GROWTH_PERMILLE), 1000, &f);
      div_to ((CmWide) base.fund[ins] * E4, MAX (base.cost[ins], 1), &p);
      rates[ins] = 0;
      pvs[ins] = 0;
      if (family == CM_SCHEME_FAMILY_DRG)
        {
          /* drg-payment.md §3: rate = round2 (F / p / W) */
          if (base.weight[ins] <= 0 || p <= 0
              || !cm_price_drg_rate_fen (f, p, base.weight[ins], &rates[ins]))
            {
              g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                           "%s: the base year has no DRG case of this fund", rs->pack);
              return FALSE;
            }
        }
      else if (base.points[ins] <= 0
               || !cm_price_point_value_e4 (base.cost[ins], CM_E4_ONE, base.points[ins],
                                            &pvs[ins]))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                       "%s: the base year has no DIP case of this fund", rs->pack);
          return FALSE;
        }
    }
  if (!write_policy (shipped_xml, pack_dir, opt->base_year, opt->year, table,
                     family == CM_SCHEME_FAMILY_DRG ? rates : NULL,
                     family == CM_SCHEME_FAMILY_DIP ? pvs : NULL, error))
    return FALSE;
  g_clear_pointer (&pack, cm_policy_unref);
  pack = cm_policy_load (pack_dir, error);
  if (pack == NULL)
    return FALSE;
  if (rs->n_alliances > G_N_ELEMENTS (ab)
      || !write_settlement (rs, pack, &base, family, pack_dir, opt->year, opt->seed, ab,
                            error))
    return FALSE;
  config = cm_settle_config_load_for_policy (cm_policy_get_path (pack), error);
  if (config == NULL)
    return FALSE;
  out->name = g_strdup (cm_policy_get_name (pack));
  out->method = g_strdup (family == CM_SCHEME_FAMILY_DRG
                          ? "DRG, rate method (rates from the budget)"
                          : "DIP, monthly point values from the budget");

  /* 3. twelve months */
  for (int m = 1; m <= 12; m++)
    {
      g_autofree char *period = g_strdup_printf ("%04d-%02d", opt->year, m);
      g_autofree char *csv = g_strdup_printf ("%s/episodes-%s.csv", dir, period);
      g_autofree char *ded = NULL;
      g_autofree char *mprefix = g_strdup_printf ("%s%02d%02d-", rs->prefix,
                                                  opt->year % 100, m);
      g_autoptr (CmMonthResult) mr = NULL;
      CmImportOptions io = { period, NULL, NULL, NULL, 0 };
      CmImportResult ir;

      step (prog, "%s: %s episodes, import, settlement", rs->pack, period);
      if (!sample_file (codes, rs, opt->year, m, opt->cases_per_month,
                        opt->seed + (guint32) m * 7919u, mprefix, csv, error)
          || !cm_ledger_import (ledger, pack, config, csv, &io, &ir, error))
        return FALSE;
      out->n_rejected += ir.rejected;
      if (m % 4 == 3)
        {
          ded = g_strdup_printf ("%s/deductions-%s.tsv", dir, period);
          if (!write_deductions (&base, opt->seed, m, ded, error)
              || !cm_ledger_set_deductions (ledger, cm_policy_get_region (pack), period, ded,
                                            error))
            return FALSE;
        }
      if (m == 5)
        {
          /* a corrected declaration of April arrives with May (§6) */
          g_autofree char *prev = g_strdup_printf ("%s/episodes-%04d-04.csv", dir, opt->year);
          g_autofree char *fixed = g_strdup_printf ("%s/episodes-%04d-04-corrected.csv", dir,
                                                    opt->year);
          g_autofree char *p4 = g_strdup_printf ("%04d-04", opt->year);
          g_autofree char *src = g_strdup_printf ("episodes-%04d-04.csv", opt->year);
          CmImportOptions co = { p4, src, NULL, NULL, 0 };
          g_autoptr (CmMonthResult) again = NULL;
          g_autoptr (CmReport) arep = NULL;
          g_autofree char *x = g_strdup_printf ("%s/settle-%s-run2.xlsx", dir, p4);

          if (!write_correction (prev, fixed, error)
              || !cm_ledger_import (ledger, pack, config, fixed, &co, &ir, error))
            return FALSE;
          again = cm_ledger_settle_month (ledger, pack, config, p4, error);
          if (again == NULL)
            return FALSE;
          arep = cm_settle_report_month (ledger, again, cm_policy_get_name (pack), error);
          if (arep == NULL || !cm_settle_report_write (arep, x, NULL, error))
            return FALSE;
        }
      mr = cm_ledger_settle_month (ledger, pack, config, period, error);
      if (mr == NULL)
        return FALSE;
      {
        g_autofree char *x = g_strdup_printf ("%s/settle-%s.xlsx", dir, period);
        g_autofree char *s = g_strdup_printf ("%s/statements-%s.csv", dir, period);
        g_autoptr (GString) text = g_string_new (NULL);
        g_autoptr (CmReport) mrep = cm_settle_report_month (ledger, mr,
                                                            cm_policy_get_name (pack), error);
        if (mrep == NULL || !cm_settle_report_write (mrep, x, NULL, error))
          return FALSE;
        cm_settle_month_csv (mr, text);
        if (!write_file (s, text, error))
          return FALSE;
      }
      if (m % 3 == 0)
        {
          step (prog, "%s: special-case review %d-Q%d", rs->pack, opt->year, m / 3);
          /* the committee's decisions of a quarter: one transaction */
          if (!cm_ledger_begin (ledger, error))
            return FALSE;
          if (!review_quarter (ledger, pack, config, opt->year, m / 3, out, error))
            {
              cm_ledger_rollback (ledger);
              return FALSE;
            }
          if (!cm_ledger_commit (ledger, error))
            return FALSE;
        }
    }

  /* 4. clearing, alliances, reports, checks */
  step (prog, "%s: annual clearing %d", rs->pack, opt->year);
  yr = cm_ledger_settle_year (ledger, pack, config, opt->year, error);
  if (yr == NULL)
    return FALSE;
  step (prog, "%s: county alliances", rs->pack);
  {
    g_autofree char *ch = g_strdup_printf ("%s/alliance-charges-%d.tsv", dir, opt->year);
    if (!alliance_charges (rs, ab, opt->year, opt->seed, ch, error)
        || !cm_ledger_import_alliance_charges (ledger, cm_policy_get_region (pack), opt->year,
                                               ch, error))
      return FALSE;
  }
  ay = cm_ledger_settle_alliances (ledger, config, cm_policy_get_region (pack), opt->year,
                                   error);
  if (ay == NULL)
    return FALSE;
  step (prog, "%s: reports", rs->pack);
  out->year_xlsx = g_strdup_printf ("%s/clearing-%d.xlsx", dir, opt->year);
  out->year_html = g_strdup_printf ("%s/clearing-%d.html", dir, opt->year);
  rep = cm_settle_report_year (ledger, yr, ay, cm_policy_get_name (pack), error);
  if (rep == NULL || !cm_settle_report_write (rep, out->year_xlsx, out->year_html, error))
    return FALSE;
  {
    g_autoptr (GString) text = g_string_new (NULL);
    g_autofree char *c = g_strdup_printf ("%s/clearing-%d.csv", dir, opt->year);
    g_autofree char *a = g_strdup_printf ("%s/alliances-%d.csv", dir, opt->year);
    cm_settle_year_csv (yr, text);
    if (!write_file (c, text, error))
      return FALSE;
    g_string_truncate (text, 0);
    cm_settle_alliances_csv (ay, text);
    if (!write_file (a, text, error))
      return FALSE;
  }
  if (!cm_ledger_check_conservation (ledger, cm_policy_get_region (pack), opt->year, NULL,
                                     &out->n_checked, &out->n_failed, error))
    return FALSE;

  out->n_hospitals = yr->hospitals->len;
  out->n_cases = yr->total.n_cases;
  out->cost_fen = yr->total.cost_fen;
  out->monthly_payable_fen = yr->total.monthly_payable_fen;
  out->advances_fen = yr->total.advances_fen;
  out->withheld_fen = yr->total.withheld_fen;
  out->deductions_fen = yr->total.deductions_fen;
  out->final_payable_fen = yr->total.final_payable_fen;
  out->assess_fen = yr->total.assess_fen;
  out->prepayment_fen = yr->total.prepayment_fen;
  out->clearing_fen = yr->total.clearing_fen;
  for (int p = 0; p < 3; p++)
    {
      out->final_pv_e4[p] = yr->pv_e4[p];
      out->pool_target_fen += yr->target_fen[p];
      out->pool_pay_fen += yr->pool_pay_fen[p];
      out->pool_residual_fen += yr->residual_fen[p];
    }
  out->n_alliances = ay->alliances->len;
  for (guint i = 0; i < ay->alliances->len; i++)
    {
      const CmAllianceResult *a = ay->alliances->pdata[i];
      out->alliance_budget_fen += a->outcome.budget_fen;
      out->alliance_actual_fen += a->outcome.actual_fen;
      out->alliance_retained_fen += a->outcome.retained_fen;
      out->alliance_returned_fen += a->outcome.returned_fen;
      out->alliance_fund_share_fen += a->outcome.fund_bears_fen;
      out->alliance_own_share_fen += a->outcome.alliance_bears_fen;
    }
  return TRUE;
}

CmDemoResult *
cm_demo_run (const CmDemoOptions *options, GError **error)
{
  static const char *const default_regions[] = { "zhuzhou", "yiyang", NULL };
  g_autoptr (CmDemoResult) res = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  const char *const *regions;
  Progress prog = { options, 0, 0 };
  guint n = 0;

  g_return_val_if_fail (options != NULL, NULL);
  regions = options->regions ? options->regions : default_regions;
  if (options->cases_per_month == 0 || options->year <= options->base_year)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT,
                   "demo: cases per month must be 1 or more and the year after the base year");
      return NULL;
    }
  for (guint i = 0; regions[i]; i++)
    {
      gboolean known = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (region_specs); k++)
        known |= strcmp (regions[i], region_specs[k].pack) == 0;
      if (!known)
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT,
                       "demo: no demo region '%s' (zhuzhou, yiyang)", regions[i]);
          return NULL;
        }
      n++;
    }
  /* steps per region: base, catalogue, pack, 12 months, 4 reviews, clearing,
   * alliances, reports; then the digest */
  prog.total = n * (3 + 12 + 4 + 3) + 1;

  res = g_new0 (CmDemoResult, 1);
  res->out_dir = g_strdup (options->out_dir);
  res->regions = g_ptr_array_new_with_free_func (demo_region_free);
  if (g_mkdir_with_parents (options->out_dir, 0755) != 0)
    {
      io_fail (error, options->out_dir);
      return NULL;
    }
  res->ledger = g_build_filename (options->out_dir, "ledger.sqlite", NULL);
  if (g_unlink (res->ledger) != 0 && errno != ENOENT)
    {
      io_fail (error, res->ledger);
      return NULL;
    }
  ledger = cm_ledger_open (res->ledger, error);
  if (ledger == NULL)
    return NULL;
  cm_ledger_set_actor (ledger, "casemix demo");
  for (guint i = 0; regions[i]; i++)
    for (guint k = 0; k < G_N_ELEMENTS (region_specs); k++)
      if (strcmp (regions[i], region_specs[k].pack) == 0)
        {
          CmDemoRegion *r = g_new0 (CmDemoRegion, 1);
          g_ptr_array_add (res->regions, r);
          if (!run_region (options, &region_specs[k], ledger, &prog, r, error))
            return NULL;
        }
  step (&prog, "ledger digest");
  res->digest = cm_ledger_digest (ledger, error);
  if (res->digest == NULL)
    return NULL;
  if (options->progress)
    options->progress (options->progress_data, "done", prog.total, prog.total);
  return g_steal_pointer (&res);
}
