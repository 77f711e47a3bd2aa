/* test-indicators.c — the indicator engine and the KPIs: every worked
 * example of indicators.md (CMI-1/2/3, COST-1/2, TIME-1/2, LRM-1/2, the DIP
 * CMI, KPI-1 … KPI-6) to the stated decimals, through the formulas and
 * through the accumulator; a golden run on sample-20k checking that the
 * counts add up and the figures are internally exact.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include "test-common.h"
#include "cm-indicators.h"
#include "cm-kpi.h"

/* ---------------------------------------------------------------------- */
/* Building an accumulator from a compact case list                        */

typedef struct {
  const char *hospital;
  int level;
  const char *county;
  const char *group;        /* "" = ungrouped */
  int n;                    /* cases like this one */
  gint64 cost_fen;
  int los;
  int deaths;               /* how many of the n died (discharge status 5) */
  CmInsuranceType ins;      /* 0 → employee */
  CmInsuredRegion region;   /* 0 → local */
  gint64 fund_fen;
  gint64 ooc_fen;
  int year;                 /* 0 → 2024 */
  CmPerDiemCategory per_diem;
} Spec;

#define END_SPEC { NULL, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

static char *
write_tmp (const char *text)
{
  char *path = NULL;
  int fd = g_file_open_tmp ("cm-ind-XXXXXX.tsv", &path, NULL);
  cr_assert (fd >= 0);
  close (fd);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static CmIndicators *
build (const Spec *specs, const char *weights, CmSchemeFamily family,
       const CmIndicatorOptions *opt)
{
  const char *names[1] = { "test" };
  CmSchemeFamily fam[1] = { family };
  CmIndicators *ind = cm_indicators_new (opt, 1, names, fam);
  g_autoptr (GError) error = NULL;

  if (weights != NULL)
    {
      g_autofree char *path = write_tmp (weights);
      g_autoptr (CmWeightTable) w = cm_weight_table_load (path, family, &error);
      cr_assert_not_null (w, "%s", error ? error->message : "");
      cm_indicators_set_weights (ind, 0, w);
      g_unlink (path);
    }
  for (const Spec *s = specs; s->hospital; s++)
    for (int i = 0; i < s->n; i++)
      {
        CmIndCase c = { 0 };
        gint32 dis;
        g_autofree char *date = g_strdup_printf ("%04d-06-15", s->year ? s->year : 2024);
        cr_assert (cm_date_parse (date, &dis));
        c.hospital_id = s->hospital;
        c.hospital_level = s->level ? s->level : 2;
        c.county_id = s->county ? s->county : "430000";
        c.insurance = s->ins ? s->ins : CM_INSURANCE_EMPLOYEE;
        c.insured_region = s->region ? s->region : CM_REGION_LOCAL;
        c.discharge_date = dis;
        c.admit_date = dis - s->los;
        c.los_days = s->los;
        c.discharge_status = i < s->deaths ? 5 : 1;
        c.per_diem = s->per_diem;
        c.total_cost_fen = s->cost_fen;
        c.fund_ffs_fen = s->fund_fen;
        c.out_of_catalogue_fen = s->ooc_fen;
        c.n_slots = 1;
        c.slot[0].group = s->group;
        c.slot[0].cls = *s->group ? CM_IND_GROUPED : CM_IND_UNGROUPED;
        c.slot[0].label = *s->group ? "grouped" : "ungrouped";
        c.slot[0].weight_e4 = -1;
        c.slot[0].fund_priced_fen = -1;
        cm_indicators_add_case (ind, &c);
      }
  cr_assert (cm_indicators_finish (ind, &error), "%s", error ? error->message : "");
  return ind;
}

static const CmIndRow *
find_hospital (const CmIndTable *t, const char *h)
{
  for (guint i = 0; i < cm_ind_table_get_n_rows (t); i++)
    if (g_strcmp0 (cm_ind_table_get_row (t, i)->hospital_id, h) == 0)
      return cm_ind_table_get_row (t, i);
  cr_assert_fail ("no row for %s", h);
  return NULL;
}

static char *
str_or_dash (const CmRational *r, guint shift, guint decimals)
{
  g_autoptr (CmRational) x = NULL;
  if (r == NULL)
    return g_strdup ("-");
  x = cm_rational_copy (r);
  for (guint i = 0; i < shift; i++)
    cm_rational_mul_ratio (x, 10, 1);
  return cm_rational_to_string (x, decimals);
}

/* ---------------------------------------------------------------------- */
/* CMI, number of groups, cost and time indices (indicators.md §1)         */

/* One hospital (H1) and the rest of the region (H2), built so that H1's
 * means and the region's means are those of the document's table:
 *   DRG  RW      n    e_i     E_i     t_i   T_i
 *   A    0.8536  120  9 500   10 000  7.2   8.0
 *   B    1.2000   80  15 600  14 000  10.5  10.0
 *   C    4.0147   10  52 000  49 100  18.0  15.0 */
static const Spec three_drgs[] = {
  { "H1", 2, NULL, "A", 96, 950000, 7, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "A", 24, 950000, 8, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "B", 40, 1560000, 10, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "B", 40, 1560000, 11, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "C", 10, 5200000, 18, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "A", 96, 1050000, 9, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "A", 24, 1050000, 8, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "B", 40, 1240000, 9, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "B", 40, 1240000, 10, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "C", 10, 4620000, 12, 0, 0, 0, 0, 0, 0, 0 },
  END_SPEC
};

/* CMI-3: 50 cases of RW 2.0000 and 50 of RW 0.5000 */
static const Spec cmi3[] = {
  { "H1", 2, NULL, "G20", 50, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "G05", 50, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
  END_SPEC
};

/* COST-2 and TIME-2: region means 10 000 in both DRGs and LOS 4 and 8;
 * the hospital 12 000 / 5 days (30 cases) and 8 000 / 6 days (70 cases) */
static const Spec two_drgs[] = {
  { "H1", 2, NULL, "G1", 30, 1200000, 5, 0, 0, 0, 0, 0, 0, 0 },
  { "H1", 2, NULL, "G2", 70, 800000, 6, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "G1", 30, 800000, 3, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "G2", 70, 1200000, 10, 0, 0, 0, 0, 0, 0, 0 },
  END_SPEC
};

typedef struct {
  const char *desc;           /* the example and its tag */
  const Spec *specs;
  const char *weights;
  guint min_cases;
  const char *total_weight;   /* 4 dp */
  const char *cmi;            /* 4 dp */
  gint64 n_groups;
  const char *cost_index;     /* 4 dp, "-" = not checked */
  const char *time_index;
} WorkedRow;

static WorkedRow worked_rows[] = {
  { "CMI-1 total weight 238.5790, CMI 1.1361 (indicators.md §1)", three_drgs,
    "drg\tweight\nA\t0.8536\nB\t1.2000\nC\t4.0147\n", 1, "238.5790", "1.1361", 3, "-", "-" },
  { "CMI-2 three DRGs with ≥ 1 case", three_drgs,
    "A\t0.8536\nB\t1.2\nC\t4.0147\n", 1, "238.5790", "1.1361", 3, "-", "-" },
  { "CMI-2 with the config ≥ 20 cases → 2", three_drgs,
    "A\t0.8536\nB\t1.2\nC\t4.0147\n", 20, "238.5790", "1.1361", 2, "-", "-" },
  { "CMI-3 50 × 2.0 + 50 × 0.5 → 125.0000, 1.2500", cmi3,
    "drg\tweight\nG20\t2.0000\nG05\t0.5000\n", 1, "125.0000", "1.2500", 2, "-", "-" },
  { "COST-1 1.0178 and TIME-1 0.9714", three_drgs,
    "A\t0.8536\nB\t1.2000\nC\t4.0147\n", 1, "238.5790", "1.1361", 3, "1.0178", "0.9714" },
  { "COST-2 0.9200 and TIME-2 0.9000 (cheaper overall, dearer in one group)", two_drgs,
    "G1\t1\nG2\t1\n", 1, "100.0000", "1.0000", 2, "0.9200", "0.9000" },
};

ParameterizedTestParameters (indicators, worked_examples)
{
  return cr_make_param_array (WorkedRow, worked_rows, G_N_ELEMENTS (worked_rows));
}

ParameterizedTest (WorkedRow *row, indicators, worked_examples)
{
  CmIndicatorOptions opt;
  g_autoptr (CmIndicators) ind = NULL;
  g_autoptr (CmIndTable) t = NULL;
  const CmIndRow *r;
  g_autofree char *tw = NULL, *cmi = NULL, *ci = NULL, *ti = NULL;

  cm_indicator_options_init (&opt);
  opt.min_group_cases = row->min_cases;
  ind = build (row->specs, row->weights, CM_SCHEME_FAMILY_DRG, &opt);
  t = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  r = find_hospital (t, "H1");
  tw = g_strdup_printf ("%" G_GINT64_FORMAT ".%04" G_GINT64_FORMAT,
                        r->total_weight_e4 / 10000, r->total_weight_e4 % 10000);
  cmi = str_or_dash (r->cmi, 0, 4);
  cr_assert_str_eq (tw, row->total_weight, "%s: total weight %s", row->desc, tw);
  cr_assert_str_eq (cmi, row->cmi, "%s: CMI %s", row->desc, cmi);
  cr_assert_eq (r->n_groups, row->n_groups, "%s: %" G_GINT64_FORMAT " groups",
                row->desc, r->n_groups);
  if (strcmp (row->cost_index, "-") != 0)
    {
      ci = str_or_dash (r->cost_index, 0, 4);
      ti = str_or_dash (r->time_index, 0, 4);
      cr_assert_str_eq (ci, row->cost_index, "%s: cost index %s", row->desc, ci);
      cr_assert_str_eq (ti, row->time_index, "%s: time index %s", row->desc, ti);
    }
}

Test (indicators, cost_index_is_exact_not_just_rounded)
{
  /* COST-1: Σ k·n ÷ 210 = (114 + 80·15600/14000 + 10·52000/49100) / 210 */
  g_autoptr (CmIndicators) ind = build (three_drgs, "A\t1\nB\t1\nC\t1\n",
                                        CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  const CmIndRow *r = find_hospital (t, "H1");
  g_autoptr (CmRational) expect = cm_rational_new (114, 1);
  g_autoptr (CmIndTable) reg = cm_indicators_table (ind, 0, 0);

  cm_rational_add_product_ratio (expect, 80, 15600, 14000);
  cm_rational_add_product_ratio (expect, 10, 52000, 49100);
  cm_rational_mul_ratio (expect, 1, 210);
  cr_assert_eq (cm_rational_compare (r->cost_index, expect), 0);
  /* the region against itself is exactly 1 */
  cr_assert_eq (cm_rational_compare_ratio (cm_ind_table_get_row (reg, 0)->cost_index, 1, 1), 0);
  cr_assert_eq (cm_rational_compare_ratio (cm_ind_table_get_row (reg, 0)->time_index, 1, 1), 0);
}

Test (indicators, same_level_reference_is_an_option)
{
  /* H2 at another level: with index.reference = level, each hospital is
   * its own reference and both indices are 1 */
  static const Spec specs[] = {
    { "H1", 3, NULL, "G1", 30, 1200000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H2", 2, NULL, "G1", 30, 800000, 3, 0, 0, 0, 0, 0, 0, 0 },
    END_SPEC
  };
  CmIndicatorOptions opt;
  g_autofree char *problem = NULL;
  g_autoptr (CmIndicators) a = build (specs, "G1\t1\n", CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmIndicators) b = NULL;
  g_autoptr (CmIndTable) ta = cm_indicators_table (a, 0, CM_IND_DIM_HOSPITAL);
  g_autoptr (CmIndTable) tb = NULL;
  g_autofree char *ca = NULL, *cb = NULL;

  cm_indicator_options_init (&opt);
  cr_assert (cm_indicator_options_set (&opt, "index.reference", "level", &problem));
  b = build (specs, "G1\t1\n", CM_SCHEME_FAMILY_DRG, &opt);
  tb = cm_indicators_table (b, 0, CM_IND_DIM_HOSPITAL);
  ca = str_or_dash (find_hospital (ta, "H1")->cost_index, 0, 4);
  cb = str_or_dash (find_hospital (tb, "H1")->cost_index, 0, 4);
  cr_assert_str_eq (ca, "1.2000");
  cr_assert_str_eq (cb, "1.0000");
  {
    CmIndRow key = { 0 };
    key.hospital_id = "H1";
    key.hospital_level = 3;
    key.county_id = "430000";
    cr_assert_eq (cm_ind_table_lookup (ta, &key), find_hospital (ta, "H1"));
    key.hospital_level = 2;
    cr_assert_null (cm_ind_table_lookup (ta, &key));
  }
}

Test (indicators, dip_cmi_is_relative_to_the_region_mean)
{
  /* indicators.md §3: hospital mean score 1 136.1 vs region 1 000.0 → 1.1361 */
  static const Spec specs[] = {
    { "H1", 3, NULL, "X", 10, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H2", 2, NULL, "Y", 10, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    END_SPEC
  };
  CmIndicatorOptions opt;
  g_autoptr (CmIndicators) ind = build (specs, "group_id\tscore\nX\t1136.1\nY\t863.9\n",
                                        CM_SCHEME_FAMILY_DIP, NULL);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  g_autoptr (CmIndicators) sc = NULL;
  g_autoptr (CmIndTable) ts = NULL;
  g_autofree char *h1 = str_or_dash (find_hospital (t, "H1")->cmi, 0, 4);
  g_autofree char *h2 = NULL;

  cr_assert_str_eq (h1, "1.1361");
  cm_indicator_options_init (&opt);
  cr_assert (cm_indicator_options_set (&opt, "dip.cmi", "scale", NULL));
  cr_assert (cm_indicator_options_set (&opt, "dip.scale", "1000", NULL));
  sc = build (specs, "group_id\tscore\nX\t1136.1\nY\t863.9\n", CM_SCHEME_FAMILY_DIP, &opt);
  ts = cm_indicators_table (sc, 0, CM_IND_DIM_HOSPITAL);
  h2 = str_or_dash (find_hospital (ts, "H2")->cmi, 0, 4);
  cr_assert_str_eq (h2, "0.8639");
}

Test (indicators, ungrouped_and_missing_weights_stay_out_of_the_cmi)
{
  static const Spec specs[] = {
    { "H1", 2, NULL, "A", 10, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H1", 2, NULL, "Z", 5, 900000, 5, 0, 0, 0, 0, 0, 0, 0 },   /* no weight */
    { "H1", 2, NULL, "", 5, 900000, 5, 0, 0, 0, 0, 0, 0, 0 },    /* ungrouped */
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, "A\t1.5\n", CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, 0);
  const CmIndRow *r = cm_ind_table_get_row (t, 0);
  g_autofree char *cmi = str_or_dash (r->cmi, 0, 4);
  g_autofree char *gr = str_or_dash (r->grouping_rate, 2, 2);

  cr_assert_eq (r->n_cases, 20);
  cr_assert_eq (r->n_settled, 20);
  cr_assert_eq (r->n_grouped, 15);
  cr_assert_eq (r->n_weighted, 10);
  cr_assert_eq (r->n_no_weight, 5);
  cr_assert_str_eq (cmi, "1.5000");
  cr_assert_str_eq (gr, "75.00");
}

Test (indicators, self_weights_are_mean_cost_ratios)
{
  /* RW_g = round4 (m_g / M): M = (10·1000 + 10·3000)/20 = 2000 */
  static const Spec specs[] = {
    { "H1", 2, NULL, "A", 10, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H1", 2, NULL, "B", 10, 300000, 5, 0, 0, 0, 0, 0, 0, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  CmWeightTable *w = cm_indicators_get_weights (ind, 0);
  gint64 a, b;

  cr_assert_str_eq (cm_weight_table_get_source (w), "self");
  cr_assert (cm_weight_table_lookup (w, "A", &a));
  cr_assert (cm_weight_table_lookup (w, "B", &b));
  cr_assert_eq (a, 5000);
  cr_assert_eq (b, 15000);
}

/* ---------------------------------------------------------------------- */
/* Low-risk groups (indicators.md §2)                                      */

typedef struct {
  const char *desc;
  CmIndSd sd;
  gint64 deaths[7];
  gint64 cases[7];
  guint n;
  CmIndRisk bands[7];
  gint64 z_e4[7];
} RiskRow;

static RiskRow risk_rows[] = {
  { "LRM-1 population SD: G1 low … G6 high", CM_IND_SD_POPULATION,
    { 1, 5, 10, 30, 80, 200 }, { 1000, 1000, 1000, 1000, 1000, 1000 }, 6,
    { CM_IND_RISK_LOW, CM_IND_RISK_MID_LOW, CM_IND_RISK_MID_LOW, CM_IND_RISK_MID_HIGH,
      CM_IND_RISK_MID_HIGH, CM_IND_RISK_HIGH },
    { -16084, -6944, -3008, 3231, 8801, 14005 } },
  { "LRM-1 sample SD 1.9290: z(G1) = −1.4683, same band", CM_IND_SD_SAMPLE,
    { 1, 5, 10, 30, 80, 200 }, { 1000, 1000, 1000, 1000, 1000, 1000 }, 6,
    { CM_IND_RISK_LOW, CM_IND_RISK_MID_LOW, CM_IND_RISK_MID_LOW, CM_IND_RISK_MID_HIGH,
      CM_IND_RISK_MID_HIGH, CM_IND_RISK_HIGH },
    { -14683, -6339, -2746, 2949, 8034, 12784 } },
  { "m_g = 0 is low risk [A]; a group without cases has no band", CM_IND_SD_POPULATION,
    { 0, 1, 10, 0 }, { 50, 1000, 1000, 0 }, 4,
    { CM_IND_RISK_LOW, CM_IND_RISK_MID_LOW, CM_IND_RISK_HIGH, CM_IND_RISK_NONE },
    { 0, -10000, 10000, 0 } },
  { "a single group with deaths: σ = 0, z = 0", CM_IND_SD_POPULATION,
    { 3 }, { 100 }, 1, { CM_IND_RISK_MID_HIGH }, { 0 } },
};

ParameterizedTestParameters (indicators, low_risk_bands)
{
  return cr_make_param_array (RiskRow, risk_rows, G_N_ELEMENTS (risk_rows));
}

ParameterizedTest (RiskRow *row, indicators, low_risk_bands)
{
  CmIndRisk bands[7];
  gint64 z[7];

  cm_ind_classify_risk (row->deaths, row->cases, row->n, row->sd, bands, z);
  for (guint i = 0; i < row->n; i++)
    {
      cr_assert_eq (bands[i], row->bands[i], "%s: group %u band %s", row->desc, i + 1,
                    cm_ind_risk_name (bands[i]));
      cr_assert_eq (z[i], row->z_e4[i], "%s: group %u z %" G_GINT64_FORMAT, row->desc,
                    i + 1, z[i]);
    }
}

/* LRM-2: region mortality of LRM-1 (1 000 cases per group); the hospital
 * has 400 of G1's cases, with 1 death or none. */
#define LRM_REST(g, d) \
  { "H2", 2, NULL, g, 1000, 100000, 5, d, 0, 0, 0, 0, 0, 0 }
static const Spec lrm_one_death[] = {
  { "H1", 2, NULL, "G1", 400, 100000, 5, 1, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "G1", 600, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
  LRM_REST ("G2", 5), LRM_REST ("G3", 10), LRM_REST ("G4", 30),
  LRM_REST ("G5", 80), LRM_REST ("G6", 200),
  END_SPEC
};
static const Spec lrm_no_death[] = {
  { "H1", 2, NULL, "G1", 400, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
  { "H2", 2, NULL, "G1", 600, 100000, 5, 1, 0, 0, 0, 0, 0, 0 },
  LRM_REST ("G2", 5), LRM_REST ("G3", 10), LRM_REST ("G4", 30),
  LRM_REST ("G5", 80), LRM_REST ("G6", 200),
  END_SPEC
};

typedef struct {
  const char *desc;
  const Spec *specs;
  const char *lowrisk_mortality;
  gint64 lowrisk_cases;
} LrmRow;

static LrmRow lrm_rows[] = {
  { "LRM-2 400 cases in G1 with 1 death → 0.25 %", lrm_one_death, "0.25", 400 },
  { "LRM-2 0 deaths → 0 %", lrm_no_death, "0.00", 400 },
};

ParameterizedTestParameters (indicators, low_risk_mortality)
{
  return cr_make_param_array (LrmRow, lrm_rows, G_N_ELEMENTS (lrm_rows));
}

ParameterizedTest (LrmRow *row, indicators, low_risk_mortality)
{
  g_autoptr (CmIndicators) ind = build (row->specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  const CmIndRow *r = find_hospital (t, "H1");
  g_autofree char *m = str_or_dash (r->lowrisk_mortality, 2, 2);

  cr_assert_eq (cm_indicators_get_risk (ind, 0, "G1", 2024), CM_IND_RISK_LOW, "%s", row->desc);
  cr_assert_eq (cm_indicators_get_risk (ind, 0, "G6", 2024), CM_IND_RISK_HIGH, "%s", row->desc);
  cr_assert_eq (r->lowrisk_cases, row->lowrisk_cases, "%s", row->desc);
  cr_assert_str_eq (m, row->lowrisk_mortality, "%s: %s", row->desc, m);
}

Test (indicators, hospice_and_against_advice_exclusions)
{
  static const Spec specs[] = {
    { "H1", 2, NULL, "G1", 100, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H1", 2, NULL, "G1", 10, 100000, 5, 10, 0, 0, 0, 0, 0, CM_PER_DIEM_HOSPICE },
    END_SPEC
  };
  CmIndicatorOptions opt;
  g_autoptr (CmIndicators) a = NULL, b = NULL;
  g_autoptr (CmIndTable) ta = NULL, tb = NULL;

  /* hospice stays are left out of LRM by default: G1 has no death → low */
  cm_indicator_options_init (&opt);
  opt.include_per_diem = TRUE;
  a = build (specs, NULL, CM_SCHEME_FAMILY_DRG, &opt);
  ta = cm_indicators_table (a, 0, 0);
  cr_assert_eq (cm_ind_table_get_row (ta, 0)->lowrisk_cases, 100);
  cr_assert_eq (cm_ind_table_get_row (ta, 0)->lowrisk_deaths, 0);
  cr_assert_eq (cm_ind_table_get_row (ta, 0)->deaths, 10);
  /* with the option off they count */
  opt.lrm_exclude_hospice = FALSE;
  b = build (specs, NULL, CM_SCHEME_FAMILY_DRG, &opt);
  tb = cm_indicators_table (b, 0, 0);
  cr_assert_eq (cm_indicators_get_risk (b, 0, "G1", 2024), CM_IND_RISK_MID_HIGH);
  cr_assert_eq (cm_ind_table_get_row (tb, 0)->lowrisk_cases, 0);
}

/* ---------------------------------------------------------------------- */
/* KPIs: formulas (indicators.md §4)                                       */

typedef enum { SHARE, RATE_CHANGE, MEAN_CHANGE } KpiFormula;

typedef struct {
  const char *desc;
  KpiFormula formula;
  gint64 a, b, c, d;     /* share a/b; rate a/b − c/d; mean (a/b)/(c/d) − 1 */
  const char *target;
  const char *value;     /* in % or pt, 2 dp */
  gboolean met;
  gint64 gap_fen;        /* -1: not checked */
} KpiRow;

static KpiRow kpi_rows[] = {
  { "KPI-1 employee 6 930 000.00 / 9 800 000.00 → 70.71 % meets ≥ 70 %", SHARE,
    693000000, 980000000, 0, 0, ">= 70.00%", "70.71 %", TRUE, 0 },
  { "KPI-2 resident 5 900 000.00 / 10 000 000.00 → 59.00 %, needs 6 000 000.00", SHARE,
    590000000, 1000000000, 0, 0, "≥ 60%", "59.00 %", FALSE, 10000000 },
  { "KPI-3 primary-level 41 000 000.00 / 215 000 000.00 → 19.07 %, short 2 000 000.00",
    SHARE, 4100000000, 21500000000, 0, 0, ">= 20.00%", "19.07 %", FALSE, 200000000 },
  { "KPI-3b 52 000 000.00 / 240 000 000.00 → 21.67 % meets", SHARE,
    5200000000, 24000000000, 0, 0, ">= 20.00%", "21.67 %", TRUE, 0 },
  { "KPI-4 86 400 / 540 000 = 16.00 % after 17.20 % → −1.20 pt meets −1 pt", RATE_CHANGE,
    86400, 540000, 1720, 10000, "<= -1.00 pt", "-1.20 pt", TRUE, -1 },
  { "KPI-4b 31 200 / 520 000 = 6.00 % after 6.50 % → −0.50 pt fails", RATE_CHANGE,
    31200, 520000, 650, 10000, "≤ −1.00 pt", "-0.50 pt", FALSE, -1 },
  { "KPI-5 10 850.00 → 10 600.00: −2.30 % meets −2 %", MEAN_CHANGE,
    1060000, 1, 1085000, 1, "<= -2.00%", "-2.30 %", TRUE, -1 },
  { "KPI-5b 10 050.00 → 9 980.00: −0.70 % fails", MEAN_CHANGE,
    998000, 1, 1005000, 1, "<= -2.00%", "-0.70 %", FALSE, -1 },
  { "KPI-6 tertiary 2 150 000.00 / 25 000 000.00 = 8.60 % fails ≤ 8 %", SHARE,
    215000000, 2500000000, 0, 0, "<= 8.00%", "8.60 %", FALSE, 15000000 },
  { "KPI-6 primary 90 000.00 / 3 200 000.00 = 2.81 % meets ≤ 3 %", SHARE,
    9000000, 320000000, 0, 0, "<= 3.00%", "2.81 %", TRUE, 0 },
  { "exact edge: 70.00 % meets ≥ 70 %", SHARE,
    686000000, 980000000, 0, 0, ">= 70%", "70.00 %", TRUE, 0 },
  { "one fen short of the edge misses", SHARE,
    685999999, 980000000, 0, 0, ">= 70%", "70.00 %", FALSE, 1 },
};

ParameterizedTestParameters (kpi, worked_examples)
{
  return cr_make_param_array (KpiRow, kpi_rows, G_N_ELEMENTS (kpi_rows));
}

ParameterizedTest (KpiRow *row, kpi, worked_examples)
{
  g_autoptr (CmRational) v = NULL;
  g_autofree char *text = NULL, *problem = NULL;
  CmKpiTarget t;
  CmKpiUnit unit;

  cr_assert (cm_kpi_target_parse (row->target, &t, &problem), "%s: %s", row->desc, problem);
  switch (row->formula)
    {
    case SHARE:
      v = cm_kpi_share (row->a, row->b);
      unit = CM_KPI_UNIT_PERCENT;
      break;
    case RATE_CHANGE:
      v = cm_kpi_rate_change (row->a, row->b, row->c, row->d);
      unit = CM_KPI_UNIT_POINTS;
      break;
    case MEAN_CHANGE:
    default:
      v = cm_kpi_mean_change (row->a, row->b, row->c, row->d);
      unit = CM_KPI_UNIT_CHANGE;
      break;
    }
  cr_assert_not_null (v, "%s", row->desc);
  text = cm_kpi_value_format (v, unit);
  cr_assert_str_eq (text, row->value, "%s: %s", row->desc, text);
  cr_assert_eq (cm_kpi_target_met (v, &t), row->met, "%s", row->desc);
  if (row->gap_fen >= 0)
    {
      CmFen gap;
      cr_assert (cm_kpi_gap_fen (row->a, row->b, &t, &gap));
      cr_assert_eq (gap, row->gap_fen, "%s: gap %" G_GINT64_FORMAT, row->desc, gap);
    }
}

typedef struct {
  const char *desc;
  const char *text;
  gboolean ok;
  CmKpiOp op;
  gint64 num, den;
} TargetRow;

static TargetRow target_rows[] = {
  { ">= percent", ">= 70.00%", TRUE, CM_KPI_OP_GE, 7000, 10000 },
  { "≥ without decimals", "≥ 70%", TRUE, CM_KPI_OP_GE, 70, 100 },
  { "≤ points with a Unicode minus", "≤ −1.00 pt", TRUE, CM_KPI_OP_LE, -100, 10000 },
  { "a plain fraction", "<= 0.08", TRUE, CM_KPI_OP_LE, 8, 100 },
  { "no operator", "70%", FALSE, 0, 0, 0 },
  { "too many decimals", ">= 70.1234567%", FALSE, 0, 0, 0 },
  { "unknown unit", ">= 70 yuan", FALSE, 0, 0, 0 },
};

ParameterizedTestParameters (kpi, targets_parse)
{
  return cr_make_param_array (TargetRow, target_rows, G_N_ELEMENTS (target_rows));
}

ParameterizedTest (TargetRow *row, kpi, targets_parse)
{
  CmKpiTarget t = { 0 };
  g_autofree char *problem = NULL;
  gboolean ok = cm_kpi_target_parse (row->text, &t, &problem);

  cr_assert_eq (ok, row->ok, "%s", row->desc);
  if (!ok)
    {
      cr_assert_not_null (problem, "%s", row->desc);
      return;
    }
  cr_assert_eq (t.op, row->op, "%s", row->desc);
  /* same value: num/den == row num/den */
  cr_assert_eq (t.num * row->den, row->num * t.den, "%s: %" G_GINT64_FORMAT "/%"
                G_GINT64_FORMAT, row->desc, t.num, t.den);
}

/* ---------------------------------------------------------------------- */
/* KPIs through the accumulator                                            */

static const CmKpiResult *
find_kpi (const GPtrArray *res, CmKpiKind kind, const char *scope)
{
  for (guint i = 0; i < res->len; i++)
    {
      const CmKpiResult *r = res->pdata[i];
      if (r->kind == kind && strcmp (r->scope, scope) == 0)
        return r;
    }
  cr_assert_fail ("no result for %s %s", cm_kpi_id (kind), scope);
  return NULL;
}

Test (kpi, reimbursement_and_ooc_from_episodes)
{
  static const Spec specs[] = {
    /* KPI-1 */
    { "H1", 3, "430101", "A", 1, 980000000, 5, 0, CM_INSURANCE_EMPLOYEE, 0,
      693000000, 84280000, 0, 0 },
    /* KPI-2 (an out-of-province patient is not the fund's insured) */
    { "H2", 1, "430101", "A", 1, 1000000000, 5, 0, CM_INSURANCE_RESIDENT, 0,
      590000000, 8789, 0, 0 },
    { "H2", 1, "430101", "A", 1, 500000000, 5, 0, CM_INSURANCE_RESIDENT,
      CM_REGION_OTHER_PROVINCE, 500000000, 0, 0, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GPtrArray) res = cm_kpi_evaluate (ind, 0, cfg, 0);
  const CmKpiResult *e = find_kpi (res, CM_KPI_REIMB_EMPLOYEE, "region");
  const CmKpiResult *r = find_kpi (res, CM_KPI_REIMB_RESIDENT, "region");
  const CmKpiResult *o1 = find_kpi (res, CM_KPI_OOC_SHARE, "hospital H1");
  const CmKpiResult *o2 = find_kpi (res, CM_KPI_OOC_SHARE, "hospital H2");
  g_autofree char *ev = cm_kpi_value_format (e->value, CM_KPI_UNIT_PERCENT);
  g_autofree char *rv = cm_kpi_value_format (r->value, CM_KPI_UNIT_PERCENT);
  g_autofree char *o1v = cm_kpi_value_format (o1->value, CM_KPI_UNIT_PERCENT);

  cr_assert_eq (e->year, 2024);
  cr_assert_str_eq (ev, "70.71 %");
  cr_assert (e->met);
  cr_assert_str_eq (rv, "59.00 %");
  cr_assert_not (r->met);
  cr_assert_eq (r->gap_fen, 10000000);
  cr_assert_str_eq (o1v, "8.60 %");        /* KPI-6, level 3: ≤ 8 % */
  cr_assert_not (o1->met);
  cr_assert (o2->met);                     /* level 1 target ≤ 3 % */
  cr_assert_eq (o2->target.num * 100, 3 * o2->target.den);
}

Test (kpi, primary_fund_share_by_county)
{
  static const Spec specs[] = {
    { "P1", 1, "430111", "A", 1, 4100000000, 5, 0, 0, 0, 4100000000, 0, 0, 0 },
    { "T1", 3, "430111", "A", 1, 17400000000, 5, 0, 0, 0, 17400000000, 0, 0, 0 },
    { "P2", 1, "430121", "A", 1, 5200000000, 5, 0, 0, 0, 5200000000, 0, 0, 0 },
    { "T2", 3, "430121", "A", 1, 18800000000, 5, 0, 0, 0, 18800000000, 0, 0, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GPtrArray) res = cm_kpi_evaluate (ind, 0, cfg, 2024);
  const CmKpiResult *c1 = find_kpi (res, CM_KPI_PRIMARY_FUND_SHARE, "county 430111");
  const CmKpiResult *c2 = find_kpi (res, CM_KPI_PRIMARY_FUND_SHARE, "county 430121");
  g_autofree char *v1 = cm_kpi_value_format (c1->value, CM_KPI_UNIT_PERCENT);
  g_autofree char *v2 = cm_kpi_value_format (c2->value, CM_KPI_UNIT_PERCENT);

  cr_assert_str_eq (v1, "19.07 %");        /* KPI-3 */
  cr_assert_not (c1->met);
  cr_assert_eq (c1->gap_fen, 200000000);   /* 2 000 000.00 */
  cr_assert_str_eq (v2, "21.67 %");        /* KPI-3b */
  cr_assert (c2->met);
}

Test (kpi, hospitalisation_rate_needs_and_uses_figures)
{
  static const Spec specs[] = {
    { "H1", 2, NULL, "A", 16, 100000, 5, 0, 0, 0, 0, 0, 0, 0 },
    { "H1", 2, NULL, "A", 4, 100000, 5, 0, 0, CM_REGION_PROVINCE, 0, 0, 0, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GPtrArray) before = cm_kpi_evaluate (ind, 0, cfg, 2024);
  g_autoptr (GPtrArray) after = NULL;
  const CmKpiResult *r;
  g_autofree char *v = NULL;

  r = find_kpi (before, CM_KPI_HOSP_RATE, "region");
  cr_assert_not (r->computable);
  cr_assert (strstr (r->note, "figure.insured.region.2024") != NULL, "%s", r->note);
  /* KPI-4 scaled down: 16 local admissions of 100 insured after 17.20 % */
  cr_assert (cm_kpi_config_set (cfg, NULL, "figure.insured.region.2024", "100", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL, "figure.hosp_rate.region.2023", "17.20%", NULL));
  after = cm_kpi_evaluate (ind, 0, cfg, 2024);
  r = find_kpi (after, CM_KPI_HOSP_RATE, "region");
  v = cm_kpi_value_format (r->value, CM_KPI_UNIT_POINTS);
  cr_assert_str_eq (v, "-1.20 pt");
  cr_assert (r->met);
}

Test (kpi, drg_cost_per_case_year_on_year)
{
  /* KPI-5 from two years of episodes: 10 850.00 → 10 600.00 */
  static const Spec specs[] = {
    { "H1", 2, NULL, "A", 2, 1085000, 5, 0, 0, 0, 0, 0, 2023, 0 },
    { "H1", 2, NULL, "A", 2, 1060000, 5, 0, 0, 0, 0, 0, 2024, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GPtrArray) res = cm_kpi_evaluate (ind, 0, cfg, 0);
  const CmKpiResult *r = find_kpi (res, CM_KPI_DRG_COST_PER_CASE, "region");
  g_autofree char *v = cm_kpi_value_format (r->value, CM_KPI_UNIT_CHANGE);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, CM_IND_DIM_YEAR);
  g_autofree char *yoy = str_or_dash (cm_ind_table_get_row (t, 1)->yoy_cost_per_case, 2, 2);

  cr_assert_eq (r->year, 2024);
  cr_assert_str_eq (v, "-2.30 %");
  cr_assert (r->met);
  cr_assert_str_eq (yoy, "-2.30");
}

Test (kpi, config_file_errors_name_file_and_line)
{
  g_autofree char *path = write_tmp ("# targets\nkpi.reimb_employee.target\t>= 72%\n"
                                     "kpi.ooc_share.target.level1\tabout 3%\n");
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GError) error = NULL;
  CmIndicatorOptions opt;

  cm_indicator_options_init (&opt);
  cr_assert_not (cm_kpi_config_load (cfg, &opt, path, &error));
  cr_assert_eq (error->domain, CM_INDICATORS_ERROR);
  cr_assert_eq (error->code, CM_INDICATORS_ERROR_CONFIG);
  cr_assert (strstr (error->message, ":3: key 'kpi.ooc_share.target.level1'") != NULL,
             "%s", error->message);
  cr_assert_eq (cm_kpi_config_get_target (cfg, CM_KPI_REIMB_EMPLOYEE, 0)->num * 100,
                72 * cm_kpi_config_get_target (cfg, CM_KPI_REIMB_EMPLOYEE, 0)->den);
  g_unlink (path);
}

typedef struct {
  const char *desc;
  const char *key, *value;
  gboolean ok;
} OptRow;

static OptRow opt_rows[] = {
  { "groups.min_cases", "groups.min_cases", "20", TRUE },
  { "groups.min_cases must be ≥ 1", "groups.min_cases", "0", FALSE },
  { "index.reference", "index.reference", "level", TRUE },
  { "index.reference bad", "index.reference", "county", FALSE },
  { "lrm.sd", "lrm.sd", "sample", TRUE },
  { "lrm.period", "lrm.period", "year", TRUE },
  { "lrm.exclude_against_advice", "lrm.exclude_against_advice", "1", TRUE },
  { "per_diem.include", "per_diem.include", "maybe", FALSE },
  { "dip.cmi", "dip.cmi", "scale", TRUE },
  { "kpi.hosp_rate.count", "kpi.hosp_rate.count", "persons", TRUE },
  { "kpi.hosp_rate.day_surgery", "kpi.hosp_rate.day_surgery", "exclude", TRUE },
  { "kpi.reimb.numerator", "kpi.reimb.numerator", "fund+other", TRUE },
  { "kpi.insured", "kpi.insured", "all", TRUE },
  { "kpi.primary_levels", "kpi.primary_levels", "1,2", TRUE },
  { "kpi.primary_levels bad", "kpi.primary_levels", "4", FALSE },
  { "kpi.drg_cost_per_case.basis", "kpi.drg_cost_per_case.basis", "adjusted", TRUE },
  { "kpi.profile", "kpi.profile", "county-alliance", TRUE },
  { "kpi.profile unknown", "kpi.profile", "beijing", FALSE },
  { "kpi.enable", "kpi.enable", "in_county_rate,reimb_change", TRUE },
  { "kpi.<id>.points", "kpi.in_county_rate.points", "40", TRUE },
  { "figure money with 3 decimals", "figure.drg_cost_per_case.region.2023", "10850.001", FALSE },
  { "figure headcount", "figure.insured.430121.2024", "540000", TRUE },
  { "figure of an unknown name", "figure.beds.region.2024", "10", FALSE },
  { "unknown key", "cmi.rounding", "4", FALSE },
};

ParameterizedTestParameters (kpi, options_and_keys)
{
  return cr_make_param_array (OptRow, opt_rows, G_N_ELEMENTS (opt_rows));
}

ParameterizedTest (OptRow *row, kpi, options_and_keys)
{
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autofree char *problem = NULL;
  CmIndicatorOptions opt;
  gboolean ok;

  cm_indicator_options_init (&opt);
  ok = cm_kpi_config_set (cfg, &opt, row->key, row->value, &problem);
  cr_assert_eq (ok, row->ok, "%s: %s", row->desc, problem ? problem : "");
  if (!ok)
    cr_assert_not_null (problem, "%s", row->desc);
}

Test (kpi, alliance_assessment_factor)
{
  /* medical-alliance.md §6: score ≥ 60 → q = score/100 (ASM-1), else 0 */
  static const Spec specs[] = {
    { "P1", 1, "430111", "A", 1, 100000, 5, 0, 0, 0, 30000, 0, 0, 0 },
    { "T1", 3, "430111", "A", 1, 100000, 5, 0, 0, 0, 70000, 0, 0, 0 },
    END_SPEC
  };
  g_autoptr (CmIndicators) ind = build (specs, NULL, CM_SCHEME_FAMILY_DRG, NULL);
  g_autoptr (CmKpiConfig) cfg = cm_kpi_config_new ();
  g_autoptr (GPtrArray) res = NULL;
  gint64 score, q;

  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.profile", "county-alliance", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.in_county_rate.points", "30", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.primary_fund_share.points", "40", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.hosp_rate.points", "20", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.inpatient_cost.points", "10", NULL));
  cr_assert (cm_kpi_config_set (cfg, NULL,
                                "figure.out_of_county_admissions.430111.2024", "0", NULL));
  res = cm_kpi_evaluate (ind, 0, cfg, 2024);
  /* in-county 100 % (30) + primary share 30 % (40) = 70 ≥ 60 → q 0.70 */
  cr_assert (cm_kpi_assessment (res, cfg, "430111", &score, &q));
  cr_assert_eq (score, 70);
  cr_assert_eq (q, 7000);
  cr_assert (cm_kpi_config_set (cfg, NULL, "kpi.pass_mark", "75", NULL));
  cr_assert (cm_kpi_assessment (res, cfg, "430111", &score, &q));
  cr_assert_eq (q, 0);
}

/* ---------------------------------------------------------------------- */
/* Weight tables                                                           */

typedef struct {
  const char *desc;
  const char *text;
  const char *error_part;   /* NULL = loads */
} WeightRow;

static WeightRow weight_rows[] = {
  { "plain drg<TAB>weight without header", "FB29\t1.2345\nGB11\t0.5\n", NULL },
  { "catalogue format with comments and extra columns",
    "# generator\tcasemix catalogue build\ndrg\tweight\tn_cases\tmean_cost\nA\t1.0\t10\t100.00\n",
    NULL },
  { "five decimals is an error, not a rounding", "drg\tweight\nA\t1.23456\n",
    ":2:3: column 'weight'" },
  { "a code twice", "A\t1\nA\t2\n", ":2:1: column 'drg': A is listed twice" },
  { "header without a weight column", "drg\trw\nA\t1\n", ":1: the header needs" },
  { "ragged row", "A\t1\nB\t1\t3\n", ":2: 3 cells" },
  { "empty file", "# nothing\n", "no weights" },
};

ParameterizedTestParameters (weights, load)
{
  return cr_make_param_array (WeightRow, weight_rows, G_N_ELEMENTS (weight_rows));
}

ParameterizedTest (WeightRow *row, weights, load)
{
  g_autofree char *path = write_tmp (row->text);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmWeightTable) w = cm_weight_table_load (path, CM_SCHEME_FAMILY_DRG, &error);

  if (row->error_part == NULL)
    cr_assert_not_null (w, "%s: %s", row->desc, error ? error->message : "");
  else
    {
      cr_assert_null (w, "%s", row->desc);
      cr_assert_eq (error->code, CM_INDICATORS_ERROR_WEIGHTS);
      cr_assert (strstr (error->message, row->error_part) != NULL, "%s: %s", row->desc,
                 error->message);
      cr_assert (g_str_has_prefix (error->message, path), "%s: %s", row->desc,
                 error->message);
    }
  g_unlink (path);
}

/* ---------------------------------------------------------------------- */
/* Through the pipeline: the sink, duplicates, the golden file             */

typedef struct {
  CmScheme *scheme;
} Job;

static gpointer
w_new (gpointer ud)
{
  return cm_group_context_new (((Job *) ud)->scheme);
}

static void
w_free (gpointer w)
{
  cm_group_context_free (w);
}

static const char *
w_process (gpointer w, const CmEpisode *ep, GString *out)
{
  CmGroupResult res;
  CmIndCase c = { 0 };
  cm_group (w, ep, CM_GROUP_DEFAULT, &res);
  cm_ind_case_set_episode (&c, ep);
  c.n_slots = 1;
  cm_ind_slot_set_group (&c.slot[0], &res, ep, FALSE);
  cm_ind_case_encode (&c, out);
  return c.slot[0].label;
}

static CmIndicators *
run_file (CmScheme *scheme, const char *path, guint threads, gsize chunk,
          CmPipelineStats *stats)
{
  const char *names[1] = { cm_scheme_get_id (scheme) };
  CmSchemeFamily fam[1] = { cm_scheme_get_family (scheme) };
  CmIndicators *ind = cm_indicators_new (NULL, 1, names, fam);
  Job job = { scheme };
  CmPipelineOps ops = { .worker_new = w_new, .worker_free = w_free, .process = w_process };
  CmPipelineOptions opt = { 0 };
  g_autoptr (GError) error = NULL;
  FILE *sink = cm_indicators_open_sink (ind);
  FILE *in = fopen (path, "r");

  cr_assert_not_null (in);
  opt.n_threads = threads;
  opt.chunk_size = chunk;
  opt.input_name = path;
  cr_assert (cm_pipeline_run (fileno (in), &opt, &ops, &job, sink, NULL, stats, &error),
             "%s", error ? error->message : "");
  fclose (in);
  cr_assert_eq (fclose (sink), 0, "the sink saw a malformed record");
  cr_assert (cm_indicators_finish (ind, &error), "%s", error ? error->message : "");
  return ind;
}

Test (pipeline_sink, a_rejected_duplicate_is_not_counted)
{
  g_autofree char *path = write_tmp (
      "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
      "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
      "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
      "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n"
      "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n"
      "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n"
      "E2,P2,H1,2,430102,resident,local,1,45,,,2024-04-01,2024-04-05,4,0304,5,0,I21.001,,300.00,0.00,10.00,90.00,\n");
  g_autoptr (CmScheme) scheme = test_load_scheme ("chs-drg-1.1");
  CmPipelineStats st;
  g_autoptr (CmIndicators) ind = run_file (scheme, path, 2, 0, &st);
  g_autoptr (CmIndTable) t = cm_indicators_table (ind, 0, 0);
  const CmIndRow *r = cm_ind_table_get_row (t, 0);

  cr_assert_eq (st.rejected, 1);
  cr_assert_eq (cm_indicators_get_n_cases (ind), 2);
  cr_assert_eq (r->n_cases, 2);
  cr_assert_eq (r->total_cost_fen, 40000);
  cr_assert_eq (r->deaths, 1);
  g_unlink (path);
}

static char *
tidy_text (CmIndicators *ind)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  g_autoptr (GError) error = NULL;
  cr_assert (cm_indicators_write_tidy (ind, f, &error));
  fclose (f);
  return buf;
}

Test (golden, sample_20k_adds_up, .timeout = 600)
{
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *expected = test_shared_path ("episodes/expected/chs-drg-3.0.csv");
  g_autoptr (CmScheme) scheme = NULL;
  g_autoptr (CmIndicators) ind = NULL, ind1 = NULL;
  g_autoptr (CmIndTable) reg = NULL, hosp = NULL, month = NULL, groups = NULL;
  g_autoptr (CmEpisodeReader) rd = NULL;
  g_autofree char *exp_text = NULL, *t1 = NULL, *t4 = NULL;
  g_auto (GStrv) exp_lines = NULL;
  CmPipelineStats st;
  const CmIndRow *R;
  gint64 n = 0, settled = 0, grouped = 0, deaths = 0, cost = 0, tw = 0;
  gint64 sum[8] = { 0 };
  CmWeightTable *w;
  FILE *in;
  CmEpisode ep;
  CmReject rej;
  guint line = 1;

  if (sample == NULL || expected == NULL)
    {
      cr_skip_test ("shared corpus absent (../shared/episodes): golden test skipped");
      return;
    }
  scheme = test_load_scheme ("chs-drg-3.0");
  ind = run_file (scheme, sample, 4, 256 * 1024, &st);
  reg = cm_indicators_table (ind, 0, 0);
  hosp = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  month = cm_indicators_table (ind, 0, CM_IND_DIM_MONTH);
  groups = cm_indicators_table (ind, 0, CM_IND_DIM_GROUP);
  R = cm_ind_table_get_row (reg, 0);

  /* independent counts: the reader, and the reference grouper's statuses */
  cr_assert (g_file_get_contents (expected, &exp_text, NULL, NULL));
  exp_lines = g_strsplit (exp_text, "\n", -1);
  in = fopen (sample, "r");
  rd = cm_episode_reader_new (in, CM_INPUT_EPISODES);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      CmReadResult rr = cm_episode_reader_next (rd, &ep, &rej, &error);
      if (rr == CM_READ_EOF)
        break;
      cr_assert_eq (rr, CM_READ_EPISODE, "sample-20k has no broken line");
      n++;
      cost += ep.total_cost_fen;
      if (ep.discharge.is_int && ep.discharge.value == 5)
        deaths++;
      if (ep.per_diem_category == CM_PER_DIEM_NONE)
        {
          g_auto (GStrv) f = g_strsplit (exp_lines[line], ",", -1);
          cr_assert_str_eq (f[0], ep.episode_id);
          settled++;
          if (strcmp (f[1], "SUCCESS") == 0)
            grouped++;
        }
      line++;
    }
  fclose (in);
  cr_assert_eq (st.accepted, 20000);
  cr_assert_eq (R->n_cases, n);
  cr_assert_eq (R->total_cost_fen, cost);
  cr_assert_eq (R->deaths, deaths);
  cr_assert_eq (R->n_settled, settled);
  cr_assert_eq (R->n_grouped, grouped, "grouped %" G_GINT64_FORMAT " vs reference %"
                G_GINT64_FORMAT, R->n_grouped, grouped);

  /* hospitals and months add up to the region */
  for (guint i = 0; i < cm_ind_table_get_n_rows (hosp); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (hosp, i);
      sum[0] += r->n_cases;
      sum[1] += r->n_grouped;
      sum[2] += r->total_weight_e4;
      sum[3] += r->lowrisk_cases;
      sum[4] += r->lowrisk_deaths;
      sum[5] += r->weighted_cost_fen;
    }
  cr_assert_eq (sum[0], R->n_cases);
  cr_assert_eq (sum[1], R->n_grouped);
  cr_assert_eq (sum[2], R->total_weight_e4);
  cr_assert_eq (sum[3], R->lowrisk_cases);
  cr_assert_eq (sum[4], R->lowrisk_deaths);
  cr_assert_eq (sum[5], R->weighted_cost_fen);
  memset (sum, 0, sizeof sum);
  for (guint i = 0; i < cm_ind_table_get_n_rows (month); i++)
    {
      sum[0] += cm_ind_table_get_row (month, i)->n_cases;
      sum[1] += cm_ind_table_get_row (month, i)->total_cost_fen;
    }
  cr_assert_eq (cm_ind_table_get_n_rows (month), 12);
  cr_assert_eq (sum[0], R->n_cases);
  cr_assert_eq (sum[1], R->total_cost_fen);

  /* total weight = Σ_g n_g × RW_g; CMI = total weight ÷ weighted cases exactly */
  w = cm_indicators_get_weights (ind, 0);
  for (guint i = 0; i < cm_ind_table_get_n_rows (groups); i++)
    {
      const CmIndRow *g = cm_ind_table_get_row (groups, i);
      gint64 rw;
      if (*g->group == '\0')
        continue;
      cr_assert (cm_weight_table_lookup (w, g->group, &rw), "%s has a weight", g->group);
      tw += g->n_weighted * rw;
    }
  cr_assert_eq (tw, R->total_weight_e4);
  cr_assert_eq (R->n_weighted, R->n_grouped);   /* self weights cover every group */
  cr_assert_eq (cm_rational_compare_ratio (R->cmi, R->total_weight_e4,
                                           R->n_weighted * 10000), 0);
  /* the region is its own cost and time reference: exactly 1 */
  cr_assert_eq (cm_rational_compare_ratio (R->cost_index, 1, 1), 0);
  cr_assert_eq (cm_rational_compare_ratio (R->time_index, 1, 1), 0);
  /* grouping rate = grouped ÷ settled */
  cr_assert_eq (cm_rational_compare_ratio (R->grouping_rate, grouped, settled), 0);

  /* the streamed tidy file says what the group × hospital × month table
   * says, row for row */
  {
    g_autoptr (CmIndTable) tt = cm_indicators_table (ind, 0, CM_IND_DIM_GROUP
                                                             | CM_IND_DIM_HOSPITAL
                                                             | CM_IND_DIM_MONTH);
    g_autofree char *text = tidy_text (ind);
    g_auto (GStrv) tl = g_strsplit (text, "\n", -1);
    guint nrows = cm_ind_table_get_n_rows (tt);

    cr_assert_eq (g_strv_length (tl), nrows + 2, "tidy rows %u vs table rows %u",
                  g_strv_length (tl) - 2, nrows);
    for (guint i = 0; i < nrows; i++)
      {
        const CmIndRow *r = cm_ind_table_get_row (tt, i);
        g_auto (GStrv) f = g_strsplit (tl[i + 1], ",", -1);
        g_autofree char *ci = r->cost_index ? cm_rational_to_string (r->cost_index, 4)
                                            : g_strdup ("");
        g_autofree char *ti = r->time_index ? cm_rational_to_string (r->time_index, 4)
                                            : g_strdup ("");
        gint64 cpc = 0;
        char cb[64] = "";
        if (r->cost_per_case_fen && cm_rational_round (r->cost_per_case_fen, 0, &cpc))
          g_snprintf (cb, sizeof cb, "%" G_GINT64_FORMAT ".%02" G_GINT64_FORMAT,
                      cpc / 100, cpc % 100);
        cr_assert_str_eq (f[1], r->group, "row %u", i);
        cr_assert_str_eq (f[2], r->hospital_id, "row %u", i);
        cr_assert_eq (g_ascii_strtoll (f[7], NULL, 10), r->n_cases, "row %u", i);
        cr_assert_str_eq (f[18], cb, "row %u cost per case", i);
        cr_assert_str_eq (f[20], ci, "row %u cost index", i);
        cr_assert_str_eq (f[21], ti, "row %u time index", i);
        cr_assert_str_eq (f[22], cm_ind_risk_name (r->risk), "row %u risk band", i);
        cr_assert_eq (g_ascii_strtoll (f[23], NULL, 10), r->lowrisk_cases, "row %u", i);
      }
  }

  /* the same numbers whatever the threads and chunks */
  ind1 = run_file (scheme, sample, 1, 0, &st);
  t1 = tidy_text (ind1);
  t4 = tidy_text (ind);
  cr_assert_str_eq (t1, t4);
  free (t1);
  free (t4);
  t1 = t4 = NULL;
}
