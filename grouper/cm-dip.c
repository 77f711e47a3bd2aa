/* cm-dip.c — the DIP grouper: loads a DIP scheme folder and assigns one
 * episode to a core, comprehensive or no group.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design note. The algorithm is schemes/dip-cn-national-3.0/GROUPING.md
 * (spec version 1), implemented literally; section numbers in comments
 * (§5.2, §6.3 …) refer to that text, and docs/dip.md explains the engine.
 *
 * Loading compiles every table into flat arrays that never change again:
 *
 *   - diagnosis conditions (`K80|A15-A16|*`) become runs of DxAlt (star,
 *     range or prefix, each with its §3.2 specificity);
 *   - procedure combinations become slot → alternative → code-id runs, the
 *     code ids coming from one interning table (px_codes) that also holds
 *     each code's §5.2 class and its operating-room flag (§7.2);
 *   - rows are sorted by (stage_rank, seq) and cut into stages; each stage
 *     other than `pre` gets a DxIndex from the 3-character ICD-10 category
 *     of the principal diagnosis ([A-Z][0-9]{2}, 2,600 slots) to the rows
 *     whose diagnosis condition can match it (§10), kept in three lists by
 *     what the principal procedure PP must be: conservative rows (PP none),
 *     strict rows (PP one of the row's principal codes: the list is sorted
 *     by code, so one binary search finds PP's run) and any-position rows
 *     (never pruned). Rows that can match any category (`*`, prefixes
 *     shorter than three characters, diagnosis in any position) sit on a
 *     wildcard list; rows with a range or a prefix whose first three
 *     characters are not a category also sit on an "odd" list, scanned
 *     only for principal diagnoses that are not a category. Every pruning
 *     is one the row's own test would make, so the index never changes a
 *     result, well-formed input or not.
 *
 * Grouping an episode looks each procedure code up once, builds E, PP and
 * O (§5.2) and marks set(E) / set(O) in per-context stamp arrays (a
 * generation counter instead of clearing), then walks the stages: `pre`
 * first-match in seq order (only its slot-less rows when no code of E is
 * named by a pre slot), every other stage the best candidate by
 * (-specificity, tier, -matched, seq) among the index lists. Nothing is
 * allocated per episode. */
#include "config.h"

#include "cm-dip.h"

#include <stdarg.h>
#include <string.h>
#include "cm-strtab-private.h"
#include "cm-trace-private.h"
#include "cm-tsv-private.h"

/* ---------------------------------------------------------------------- */
/* Private types                                                          */

/* 3-character ICD-10 categories [A-Z][0-9]{2}: A00 = 0 … Z99 = 2599. */
#define N_CATS (26 * 100)

/* One ZH-id: "ZH-" + category + "-" + class + NUL. */
#define ZH_ID_SIZE 10

typedef enum {
  ALT_STAR,    /* `*`: every code, specificity 0 */
  ALT_RANGE,   /* `L-H`: first three characters in [L, H], specificity 3 */
  ALT_PREFIX,  /* anything else: plain string prefix, specificity = length */
} AltKind;

typedef struct {
  const char *text;  /* the prefix (ALT_PREFIX), in the scheme's chunk */
  guint32 len;       /* bytes of text */
  guint32 spec;      /* §3.2 specificity */
  guint8 kind;       /* AltKind */
  char lo[3];        /* ALT_RANGE bounds, [A-Z][0-9]{2} */
  char hi[3];
} DxAlt;

/* A diagnosis condition: a run of DxAlt; n == 0 only for "no condition"
 * (an empty secondary_dx). */
typedef struct {
  guint32 first;
  guint32 n;
} DxCond;

/* A procedure alternative: a run of distinct code ids (`a&b&c`). */
typedef struct {
  guint32 first_code;
  guint32 n_codes;
} PxAlt;

/* A slot: a run of alternatives (`alt|alt`). */
typedef struct {
  guint32 first_alt;
  guint32 n_alts;
} PxSlot;

/* §5.2 classes of a procedure code. */
typedef enum {
  PX_NORMAL = 0,       /* not in excluded_px.tsv */
  PX_IGNORED,          /* 按保守治疗入组 */
  PX_NOT_PRINCIPAL,    /* 不可作为主要手术操作 */
  PX_CONDITIONAL,      /* normal when D[0] matches cond, ignored otherwise */
} PxClass;

typedef struct {
  guint8 cls;          /* PxClass */
  guint8 is_or;        /* on or_procedures.tsv */
  guint8 listed;       /* seen in excluded_px.tsv (duplicate check) */
  guint8 in_pre_slot;  /* named in a slot of a `pre` row */
  DxCond cond;         /* PX_CONDITIONAL: principal_allowed_if_dx */
} PxInfo;

enum {
  DX_EXCLUDED = 1 << 0,      /* excluded_dx.tsv */
  DX_TB_RESISTANT = 1 << 1,  /* tb_resistant_dx.tsv */
};

typedef enum {
  RESIST_NONE = 0,  /* no drug_resistant item */
  RESIST_Y,
  RESIST_N,
} ResistWant;

typedef struct {
  const char *group_id;   /* in the scheme's chunk */
  const char *stage_name; /* in the scheme's chunk */
  guint32 seq;
  gint64 stage_rank;
  DxCond dx;              /* dx_code */
  DxCond secondary;       /* secondary_dx; n == 0: none */
  guint32 first_slot;
  guint32 n_slots;        /* 0: empty procedure_combination */
  gint64 age_lt;          /* age_days<N; -1: none */
  gint64 weight_lo;       /* birth_weight_g=A-B; -1: none */
  gint64 weight_hi;
  guint8 resist_want;     /* ResistWant */
  guint8 resist_by_principal;  /* clause "principal dx is in tb_resistant_dx.tsv" */
  guint8 dx_any_position; /* 不限定为主要诊断 */
  guint8 px_any_position; /* 不限定为主要手术操作 / procedures may sit in any position */
  DxCond resist_other;    /* union of the "any other dx is X" clauses */
} Row;

/* Items (rows or patterns) per category: off[cat] .. off[cat + 1] index
 * items[] (and codes[], when kept), sorted by (code, item). */
typedef struct {
  guint32 *off;        /* N_CATS + 1 offsets */
  guint32 *items;
  guint32 *codes;      /* the principal code of each entry, or NULL */
} CatLists;

/* Candidate lists for an episode (§10, see index_build). */
typedef struct {
  CatLists cons;       /* conservative items, per category */
  CatLists any;        /* any-position procedure items, per category */
  CatLists strict;     /* strict items, per category and principal code */
  guint32 *wild;       /* items that can match any diagnosis */
  guint32 n_wild;
  guint32 *odd;        /* items with a range or a non-category 3-char key */
  guint32 n_odd;
} DxIndex;

typedef struct {
  const char *name;
  gint64 rank;
  gboolean is_pre;     /* rule_stage `pre`: first match, §6.1 / §6.3 */
  guint32 first_row;
  guint32 n_rows;
  DxIndex index;       /* not built for `pre` (scanned in seq order) */
  guint32 *slotless;   /* `pre`: the rows without slots, in seq order */
  guint32 n_slotless;
} Stage;

/* A primary_care.tsv pattern (§9). */
typedef struct {
  DxCond dx;
  guint32 first_code;  /* single-code alternatives of the one slot */
  guint32 n_codes;     /* 0: empty combination (conservative) */
} PcRow;

struct _CmDipScheme {
  gatomicrefcount ref_count;
  char *id;
  GStringChunk *strings;   /* group ids, stage names, prefix texts */

  CmStrtab dx_codes;       /* excluded_dx + tb_resistant_dx codes */
  GArray *dx_flags;        /* guint8 per dx_codes id */
  CmStrtab px_codes;       /* every procedure code of every table */
  GArray *px_info;         /* PxInfo per px_codes id */

  GArray *dx_alts;         /* DxAlt */
  GArray *alt_codes;       /* guint32 code ids of PxAlt / PcRow */
  GArray *px_alts;         /* PxAlt */
  GArray *px_slots;        /* PxSlot */
  GArray *rows;            /* Row, sorted by (stage_rank, seq) */
  GArray *stages;          /* Stage, by rank */
  GArray *pc_rows;         /* PcRow */
  DxIndex pc_index;

  char *zh_ids;            /* N_CATS * 3 ids of ZH_ID_SIZE bytes */
};

struct _CmDipContext {
  CmDipScheme *scheme;     /* reference held */
  guint32 gen;             /* current stamp generation */
  guint32 *stamp_e;        /* per px id: == gen when in set(E) */
  guint32 *stamp_o;        /* per px id: == gen when in set(O) */
  guint32 n_px;

  /* the current episode */
  const char *d[CM_MAX_CODES];
  gsize d_len[CM_MAX_CODES];    /* strlen of each D[i] */
  guint n_d;
  int d0_cat;              /* category number of D[0], -1 when none */
  guint8 d0_flags;         /* DX_* of D[0] */
  gboolean pre_codes;      /* some code of E is named in a `pre` slot */
  guint32 e_id[CM_MAX_CODES];   /* px id of each element of E (NONE: unknown) */
  guint8 e_cls[CM_MAX_CODES];   /* PX_NORMAL or PX_NOT_PRINCIPAL */
  guint n_e;
  gboolean has_pp;         /* PP is not none */
  guint32 pp_id;           /* px id of PP, CM_STRTAB_NONE when unknown */
};

static const char *const status_names[] = {
  [CM_DIP_CHECK_FAILED] = "CHECK_FAILED",
  [CM_DIP_EXCLUDED_DX] = "EXCLUDED_DX",
  [CM_DIP_GROUPED] = "GROUPED",
  [CM_DIP_COMPREHENSIVE] = "COMPREHENSIVE",
  [CM_DIP_UNGROUPED] = "UNGROUPED",
};

enum { TIER_A = 0, TIER_B = 1, TIER_C = 2 };

/* ---------------------------------------------------------------------- */
/* Code helpers (shared by loading and grouping)                          */

/* Category number of @s when its first three characters are [A-Z][0-9]{2},
 * else -1. */
static inline int
cat_of (const char *s)
{
  if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= '0' && s[1] <= '9'
      && s[2] >= '0' && s[2] <= '9')
    return (s[0] - 'A') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  return -1;
}

/* Bytes of the first three UTF-8 characters of @s; 0 when @s has fewer
 * than three characters (§3.1 `len(c) ≥ 3`). */
static gsize
first3_len (const char *s)
{
  gsize i = 0;

  for (int n = 0; n < 3; n++)
    {
      guchar c = (guchar) s[i];
      gsize l;

      if (c == 0)
        return 0;
      l = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      for (gsize k = 1; k < l; k++)
        if (s[i + k] == '\0')
          {
            l = k;
            break;
          }
      i += l;
    }
  return i;
}

/* Compares the @len-byte key @a with the 3-byte bound @b as strings
 * (UTF-8 byte order is code-point order). */
static inline int
cmp_key (const char *a, gsize len, const char *b)
{
  int r = memcmp (a, b, MIN (len, 3));

  if (r != 0)
    return r;
  return len > 3 ? 1 : len < 3 ? -1 : 0;
}

/* Plain string prefix (§3.1). Compared from the end: candidates from the
 * category index share their first three characters. */
static inline gboolean
has_prefix (const char *code, gsize code_len, const char *prefix, gsize len)
{
  if (len > code_len)
    return FALSE;
  while (len > 0)
    {
      len--;
      if (code[len] != prefix[len])
        return FALSE;
    }
  return TRUE;
}

/* §3.1 / §3.2: the specificity of condition @c for @code (@code_len
 * bytes), or -1 when it does not match. */
static inline int
cond_spec (const DxAlt *alts, DxCond c, const char *code, gsize code_len)
{
  int best = -1;

  for (guint32 i = 0; i < c.n; i++)
    {
      const DxAlt *a = &alts[c.first + i];
      int spec;

      switch (a->kind)
        {
        case ALT_STAR:
          spec = 0;
          break;
        case ALT_RANGE:
          {
            gsize key_len = first3_len (code);

            if (key_len == 0 || cmp_key (code, key_len, a->lo) < 0
                || cmp_key (code, key_len, a->hi) > 0)
              continue;
            spec = 3;
          }
          break;
        default:
          if (!has_prefix (code, code_len, a->text, a->len))
            continue;
          spec = (int) a->spec;
          break;
        }
      if (spec > best)
        best = spec;
    }
  return best;
}

/* ---------------------------------------------------------------------- */
/* Loading: errors                                                        */

/* Like cm_tsv_error, with an error code other than TABLE. */
static void G_GNUC_PRINTF (5, 6)
row_error (CmTsv *tsv, guint col, int code, GError **error,
           const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, CM_SCHEME_ERROR, code, "%s:%u:%zu: column %s: %s",
               tsv->display, tsv->line_no,
               col < tsv->n_cells ? tsv->cell_col[col] : (gsize) 1,
               col < tsv->n_cols ? tsv->header[col] : "?", msg);
}

/* Opens a table and finds the named columns (any order, more may exist). */
static gboolean
open_table (CmTsv *tsv, const char *dir, const char *name,
            const char *const *columns, guint *idx, guint n, GError **error)
{
  if (!cm_tsv_open (tsv, dir, name, NULL, 0, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      guint c;

      for (c = 0; c < tsv->n_cols; c++)
        if (strcmp (tsv->header[c], columns[i]) == 0)
          break;
      if (c == tsv->n_cols)
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:1:1: column %s missing from the header",
                       tsv->display, columns[i]);
          return FALSE;
        }
      idx[i] = c;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Loading: conditions                                                    */

static guint32
px_intern (CmDipScheme *s, const char *code, gsize len)
{
  guint32 id = cm_strtab_intern (&s->px_codes, code, len);

  if (id >= s->px_info->len)
    {
      PxInfo info = { 0 };
      g_array_append_val (s->px_info, info);
    }
  return id;
}

static guint32
dx_intern (CmDipScheme *s, const char *code)
{
  guint32 id = cm_strtab_intern (&s->dx_codes, code, strlen (code));

  if (id >= s->dx_flags->len)
    {
      guint8 zero = 0;
      g_array_append_val (s->dx_flags, zero);
    }
  return id;
}

static gboolean
is_cat3 (const char *s, gsize len)
{
  return len == 3 && cat_of (s) >= 0;
}

/* Compiles the diagnosis condition @text (§3) into a run of DxAlt appended
 * to s->dx_alts. On failure returns FALSE and sets *problem. */
static gboolean
parse_dx_cond (CmDipScheme *s, const char *text, DxCond *out, char **problem)
{
  g_auto (GStrv) alts = NULL;

  if (!g_utf8_validate (text, -1, NULL))
    {
      *problem = g_strdup ("not valid UTF-8");
      return FALSE;
    }
  if (*text == '\0')
    {
      *problem = g_strdup ("empty diagnosis condition");
      return FALSE;
    }
  out->first = s->dx_alts->len;
  alts = g_strsplit (text, "|", -1);
  for (guint i = 0; alts[i] != NULL; i++)
    {
      const char *a = alts[i];
      gsize len = strlen (a);
      DxAlt alt = { 0 };

      if (len == 0)
        {
          *problem = g_strdup_printf ("empty alternative in '%s'", text);
          return FALSE;
        }
      if (strcmp (a, "*") == 0)
        {
          alt.kind = ALT_STAR;
          alt.spec = 0;
        }
      else if (len == 7 && a[3] == '-' && is_cat3 (a, 3) && cat_of (a + 4) >= 0)
        {
          alt.kind = ALT_RANGE;
          alt.spec = 3;
          memcpy (alt.lo, a, 3);
          memcpy (alt.hi, a + 4, 3);
        }
      else
        {
          alt.kind = ALT_PREFIX;
          alt.text = g_string_chunk_insert_const (s->strings, a);
          alt.len = (guint32) len;
          alt.spec = (guint32) g_utf8_strlen (a, -1);
        }
      g_array_append_val (s->dx_alts, alt);
    }
  out->n = s->dx_alts->len - out->first;
  return TRUE;
}

/* Compiles a procedure combination (§4.1) into slots appended to
 * s->px_slots. An empty text has no slots. */
static gboolean
parse_px_comb (CmDipScheme *s, const char *text, guint32 *first_slot,
               guint32 *n_slots, char **problem)
{
  g_auto (GStrv) slots = NULL;

  *first_slot = s->px_slots->len;
  *n_slots = 0;
  if (*text == '\0')
    return TRUE;
  slots = g_strsplit (text, "+", -1);
  for (guint i = 0; slots[i] != NULL; i++)
    {
      g_auto (GStrv) alts = NULL;
      PxSlot slot = { s->px_alts->len, 0 };

      if (slots[i][0] == '\0')
        {
          *problem = g_strdup_printf ("empty slot in '%s'", text);
          return FALSE;
        }
      alts = g_strsplit (slots[i], "|", -1);
      for (guint j = 0; alts[j] != NULL; j++)
        {
          g_auto (GStrv) codes = NULL;
          PxAlt alt = { s->alt_codes->len, 0 };

          if (alts[j][0] == '\0')
            {
              *problem = g_strdup_printf ("empty alternative in '%s'", text);
              return FALSE;
            }
          codes = g_strsplit (alts[j], "&", -1);
          for (guint k = 0; codes[k] != NULL; k++)
            {
              guint32 id;
              gboolean seen = FALSE;

              if (codes[k][0] == '\0')
                {
                  *problem = g_strdup_printf ("empty code in '%s'", text);
                  return FALSE;
                }
              id = px_intern (s, codes[k], strlen (codes[k]));
              /* §4.2 counts distinct codes: keep each code once */
              for (guint32 m = 0; m < alt.n_codes; m++)
                if (g_array_index (s->alt_codes, guint32, alt.first_code + m) == id)
                  seen = TRUE;
              if (!seen)
                {
                  g_array_append_val (s->alt_codes, id);
                  alt.n_codes++;
                }
            }
          g_array_append_val (s->px_alts, alt);
          slot.n_alts++;
        }
      g_array_append_val (s->px_slots, slot);
      (*n_slots)++;
    }
  return TRUE;
}

/* Parses "digits" into [0, G_MAXINT32]. */
static gboolean
parse_uint (const char *p, const char *end, gint64 *out)
{
  gint64 v = 0;

  if (p == end)
    return FALSE;
  for (; p < end; p++)
    {
      if (*p < '0' || *p > '9')
        return FALSE;
      v = v * 10 + (*p - '0');
      if (v > G_MAXINT32)
        return FALSE;
    }
  *out = v;
  return TRUE;
}

/* The `resistant if CLAUSE ( or CLAUSE )*` item (§6.4). */
static gboolean
parse_resist_method (CmDipScheme *s, Row *row, const char *clauses,
                     char **problem)
{
  g_auto (GStrv) parts = g_strsplit (clauses, " or ", -1);
  static const char other[] = "any other dx is ";

  row->resist_other.first = s->dx_alts->len;
  row->resist_other.n = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (strcmp (parts[i], "principal dx is in tb_resistant_dx.tsv") == 0)
        row->resist_by_principal = TRUE;
      else if (g_str_has_prefix (parts[i], other))
        {
          DxCond c;

          if (!parse_dx_cond (s, parts[i] + strlen (other), &c, problem))
            return FALSE;
          /* the OR of "some D[i] matches X1", "… X2" is "some D[i] matches
           * X1|X2": the runs are contiguous, so extend one condition */
          row->resist_other.n += c.n;
        }
      else
        {
          *problem = g_strdup_printf ("unknown resistance clause '%s'",
                                      parts[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
unknown_item (const char *item, char **problem)
{
  *problem = g_strdup_printf ("unknown or repeated item '%s'", item);
  return FALSE;
}

/* One §6.5 item (trimmed, non-empty). */
static gboolean
parse_extra_item (CmDipScheme *s, Row *row, const char *item,
                  gboolean *have_method, int *code, char **problem)
{
  gsize len = strlen (item);
  gboolean known = FALSE;

  if (g_str_has_prefix (item, "age_days<"))
    {
      if (row->age_lt >= 0 || !parse_uint (item + 9, item + len, &row->age_lt))
        return unknown_item (item, problem);
      return TRUE;
    }
  if (g_str_has_prefix (item, "birth_weight_g="))
    {
      const char *dash = strchr (item + 15, '-');

      if (row->weight_lo >= 0 || dash == NULL
          || !parse_uint (item + 15, dash, &row->weight_lo)
          || !parse_uint (dash + 1, item + len, &row->weight_hi))
        return unknown_item (item, problem);
      return TRUE;
    }
  if (strcmp (item, "drug_resistant=Y") == 0
      || strcmp (item, "drug_resistant=N") == 0)
    {
      if (row->resist_want != RESIST_NONE)
        return unknown_item (item, problem);
      row->resist_want = item[15] == 'Y' ? RESIST_Y : RESIST_N;
      return TRUE;
    }
  if (g_str_has_prefix (item, "resistant if "))
    {
      if (*have_method)
        return unknown_item (item, problem);
      *have_method = TRUE;
      if (!parse_resist_method (s, row, item + 13, problem))
        {
          *code = g_str_has_prefix (*problem, "unknown")
                    ? CM_SCHEME_ERROR_FORMAT : CM_SCHEME_ERROR_CONDITION;
          return FALSE;
        }
      return TRUE;
    }
  /* informational: already expressed by dx_code / secondary_dx */
  if (strcmp (item, "burn_degree=II") == 0
      || strcmp (item, "burn_degree=III") == 0
      || strcmp (item, "burn_area=<10%") == 0
      || strcmp (item, "burn_area=10-29%") == 0
      || strcmp (item, "burn_area=30-49%") == 0
      || strcmp (item, "burn_area=>=50%") == 0)
    return TRUE;
  if (strstr (item, "不限定为主要诊断") != NULL)
    {
      row->dx_any_position = TRUE;
      known = TRUE;
    }
  if (strstr (item, "不限定为主要手术操作") != NULL
      || strstr (item, "procedures may sit in any position") != NULL)
    {
      row->px_any_position = TRUE;
      known = TRUE;
    }
  return known || unknown_item (item, problem);
}

/* §6.5: the closed list of extra_condition items, split at ';' and
 * trimmed. Sets *code to FORMAT for an item outside the list, CONDITION
 * for a clause whose diagnosis condition does not compile. */
static gboolean
parse_extra (CmDipScheme *s, Row *row, const char *text, int *code,
             char **problem)
{
  g_auto (GStrv) items = g_strsplit (text, ";", -1);
  gboolean have_method = FALSE;

  *code = CM_SCHEME_ERROR_FORMAT;
  row->age_lt = -1;
  row->weight_lo = row->weight_hi = -1;
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);

      if (*item != '\0'
          && !parse_extra_item (s, row, item, &have_method, code, problem))
        return FALSE;
    }
  if (row->resist_want != RESIST_NONE && !have_method)
    {
      *problem = g_strdup ("drug_resistant needs a 'resistant if …' item");
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Loading: tables                                                        */

static gboolean
load_meta (CmDipScheme *s, const char *dir, GError **error)
{
  static const char *const cols[] = { "key", "value" };
  guint idx[2];
  CmTsv tsv;
  gboolean ok = TRUE;
  g_autoptr (GError) local = NULL;

  if (!cm_tsv_exists (dir, "meta.tsv"))
    return TRUE;
  if (!open_table (&tsv, dir, "meta.tsv", cols, idx, 2, error))
    {
      cm_tsv_close (&tsv);
      return FALSE;
    }
  while (cm_tsv_next (&tsv, &local))
    if (strcmp (tsv.cells[idx[0]], "scheme_id") == 0
        || (s->id == NULL && strcmp (tsv.cells[idx[0]], "id") == 0))
      {
        g_free (s->id);
        s->id = g_strdup (tsv.cells[idx[1]]);
      }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  cm_tsv_close (&tsv);
  return ok;
}

/* A one-column code list: sets @flag on each code of dx_codes (dx lists)
 * or is_or on px codes (or_procedures.tsv, when @flag is 0). */
static gboolean
load_code_list (CmDipScheme *s, const char *dir, const char *name,
                guint8 flag, GError **error)
{
  static const char *const cols[] = { "code" };
  guint idx[1];
  CmTsv tsv;
  gboolean ok = TRUE;
  g_autoptr (GError) local = NULL;

  if (!open_table (&tsv, dir, name, cols, idx, 1, error))
    {
      cm_tsv_close (&tsv);
      return FALSE;
    }
  while (cm_tsv_next (&tsv, &local))
    {
      const char *code = tsv.cells[idx[0]];

      if (*code == '\0')
        {
          cm_tsv_error (&tsv, idx[0], &local, "empty code");
          break;
        }
      /* intern first: the append may move the array */
      if (flag != 0)
        {
          guint32 id = dx_intern (s, code);
          g_array_index (s->dx_flags, guint8, id) |= flag;
        }
      else
        {
          guint32 id = px_intern (s, code, strlen (code));
          g_array_index (s->px_info, PxInfo, id).is_or = TRUE;
        }
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  cm_tsv_close (&tsv);
  return ok;
}

static gboolean
load_excluded_px (CmDipScheme *s, const char *dir, GError **error)
{
  static const char *const cols[] = { "code", "note", "principal_allowed_if_dx" };
  guint idx[3];
  CmTsv tsv;
  gboolean ok = TRUE;
  g_autoptr (GError) local = NULL;

  if (!open_table (&tsv, dir, "excluded_px.tsv", cols, idx, 3, error))
    {
      cm_tsv_close (&tsv);
      return FALSE;
    }
  while (cm_tsv_next (&tsv, &local))
    {
      const char *code = tsv.cells[idx[0]];
      const char *note = tsv.cells[idx[1]];
      const char *allowed = tsv.cells[idx[2]];
      PxInfo *info;
      guint32 id;

      if (*code == '\0')
        {
          cm_tsv_error (&tsv, idx[0], &local, "empty code");
          break;
        }
      id = px_intern (s, code, strlen (code));
      info = &g_array_index (s->px_info, PxInfo, id);
      if (info->listed)
        {
          cm_tsv_error (&tsv, idx[0], &local, "code '%s' is listed twice",
                        code);
          break;
        }
      info->listed = TRUE;
      /* §5.2: the condition column is authoritative; else the note */
      if (*allowed != '\0')
        {
          g_autofree char *problem = NULL;
          DxCond c;

          if (!parse_dx_cond (s, allowed, &c, &problem))
            {
              row_error (&tsv, idx[2], CM_SCHEME_ERROR_CONDITION, &local,
                         "%s", problem);
              break;
            }
          /* the append may have moved the array */
          info = &g_array_index (s->px_info, PxInfo, id);
          info->cls = PX_CONDITIONAL;
          info->cond = c;
        }
      else if (strcmp (note, "按保守治疗入组") == 0)
        info->cls = PX_IGNORED;
      else if (strcmp (note, "不可作为主要手术操作") == 0)
        info->cls = PX_NOT_PRINCIPAL;
      else
        {
          cm_tsv_error (&tsv, idx[1], &local, "unknown note '%s'", note);
          break;
        }
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  cm_tsv_close (&tsv);
  return ok;
}

static gboolean
valid_group_id (const char *id)
{
  if (*id == '\0')
    return FALSE;
  for (; *id; id++)
    if (!g_ascii_isalnum (*id) && *id != '-' && *id != '_' && *id != '.')
      return FALSE;
  return TRUE;
}

static gboolean
valid_stage_name (const char *name)
{
  if (*name == '\0' || strcmp (name, "comprehensive") == 0)
    return FALSE;
  for (; *name; name++)
    if (!g_ascii_islower (*name) && !g_ascii_isdigit (*name) && *name != '_')
      return FALSE;
  return TRUE;
}

enum {
  G_GROUP_ID, G_RULE_STAGE, G_STAGE_RANK, G_SEQ, G_DX_CODE, G_COMB,
  G_PRINCIPAL, G_RELATED, G_SECONDARY, G_EXTRA, G_N
};

/* Loads one groups.tsv row into @row (§2, §4.2, §6.5). */
static gboolean
load_group_row (CmDipScheme *s, CmTsv *tsv, const guint *idx, Row *row,
                GHashTable *seqs, GHashTable *stage_ranks,
                GHashTable *rank_stages, GError **error)
{
  g_autofree char *problem = NULL;
  const char *comb = tsv->cells[idx[G_COMB]];
  const char *stage = tsv->cells[idx[G_RULE_STAGE]];
  const char *sec = tsv->cells[idx[G_SECONDARY]];
  gint64 v;
  int code;
  gpointer prev;

  memset (row, 0, sizeof *row);
  if (!valid_group_id (tsv->cells[idx[G_GROUP_ID]]))
    {
      cm_tsv_error (tsv, idx[G_GROUP_ID], error,
                    "'%s' is not a group id ([A-Za-z0-9_.-]+)",
                    tsv->cells[idx[G_GROUP_ID]]);
      return FALSE;
    }
  row->group_id = g_string_chunk_insert (s->strings, tsv->cells[idx[G_GROUP_ID]]);
  if (!valid_stage_name (stage))
    {
      cm_tsv_error (tsv, idx[G_RULE_STAGE], error,
                    "'%s' is not a stage name ([a-z0-9_]+, not comprehensive)",
                    stage);
      return FALSE;
    }
  row->stage_name = g_string_chunk_insert_const (s->strings, stage);
  if (!cm_tsv_get_int (tsv, idx[G_STAGE_RANK], 0, G_MAXINT32, &row->stage_rank,
                       error))
    return FALSE;
  /* one name per rank and one rank per name */
  prev = g_hash_table_lookup (stage_ranks, row->stage_name);
  if (prev != NULL && GPOINTER_TO_INT (prev) - 1 != row->stage_rank)
    {
      cm_tsv_error (tsv, idx[G_STAGE_RANK], error,
                    "stage %s has rank %d on an earlier row",
                    stage, GPOINTER_TO_INT (prev) - 1);
      return FALSE;
    }
  prev = g_hash_table_lookup (rank_stages, GINT_TO_POINTER ((int) row->stage_rank + 1));
  if (prev != NULL && prev != row->stage_name)
    {
      cm_tsv_error (tsv, idx[G_RULE_STAGE], error,
                    "rank %" G_GINT64_FORMAT " belongs to stage %s on an earlier row",
                    row->stage_rank, (const char *) prev);
      return FALSE;
    }
  g_hash_table_insert (stage_ranks, (gpointer) row->stage_name,
                       GINT_TO_POINTER ((int) row->stage_rank + 1));
  g_hash_table_insert (rank_stages, GINT_TO_POINTER ((int) row->stage_rank + 1),
                       (gpointer) row->stage_name);

  if (!cm_tsv_get_int (tsv, idx[G_SEQ], 0, G_MAXINT32 - 1, &v, error))
    return FALSE;
  row->seq = (guint32) v;
  prev = g_hash_table_lookup (seqs, GUINT_TO_POINTER (row->seq + 1));
  if (prev != NULL)
    {
      cm_tsv_error (tsv, idx[G_SEQ], error, "seq %u repeats line %u",
                    row->seq, GPOINTER_TO_UINT (prev));
      return FALSE;
    }
  g_hash_table_insert (seqs, GUINT_TO_POINTER (row->seq + 1),
                       GUINT_TO_POINTER (tsv->line_no));

  if (!parse_dx_cond (s, tsv->cells[idx[G_DX_CODE]], &row->dx, &problem))
    {
      row_error (tsv, idx[G_DX_CODE], CM_SCHEME_ERROR_CONDITION, error, "%s",
                 problem);
      return FALSE;
    }
  if (*sec != '\0' && !parse_dx_cond (s, sec, &row->secondary, &problem))
    {
      row_error (tsv, idx[G_SECONDARY], CM_SCHEME_ERROR_CONDITION, error, "%s",
                 problem);
      return FALSE;
    }
  if (!parse_px_comb (s, comb, &row->first_slot, &row->n_slots, &problem))
    {
      row_error (tsv, idx[G_COMB], CM_SCHEME_ERROR_CONDITION, error, "%s",
                 problem);
      return FALSE;
    }
  if (!parse_extra (s, row, tsv->cells[idx[G_EXTRA]], &code, &problem))
    {
      row_error (tsv, idx[G_EXTRA], code, error, "%s", problem);
      return FALSE;
    }

  /* §4.2: in strict rows the two columns are the slots, kept apart */
  if (!row->px_any_position)
    {
      const char *plus = strchr (comb, '+');
      gsize plen = plus ? (gsize) (plus - comb) : strlen (comb);
      const char *principal = tsv->cells[idx[G_PRINCIPAL]];
      const char *related = tsv->cells[idx[G_RELATED]];

      if (strlen (principal) != plen || strncmp (principal, comb, plen) != 0)
        {
          cm_tsv_error (tsv, idx[G_PRINCIPAL], error,
                        "'%s' is not the first slot of procedure_combination",
                        principal);
          return FALSE;
        }
      if (strcmp (related, plus ? plus + 1 : "") != 0)
        {
          cm_tsv_error (tsv, idx[G_RELATED], error,
                        "'%s' is not slots 2..n of procedure_combination",
                        related);
          return FALSE;
        }
    }
  return TRUE;
}

static gint
row_cmp (gconstpointer a, gconstpointer b)
{
  const Row *x = a, *y = b;

  if (x->stage_rank != y->stage_rank)
    return x->stage_rank < y->stage_rank ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

static gboolean
load_groups (CmDipScheme *s, const char *dir, GError **error)
{
  static const char *const cols[G_N] = {
    "group_id", "rule_stage", "stage_rank", "seq", "dx_code",
    "procedure_combination", "principal_procs", "related_procs",
    "secondary_dx", "extra_condition",
  };
  guint idx[G_N];
  CmTsv tsv;
  gboolean ok = TRUE;
  g_autoptr (GError) local = NULL;
  g_autoptr (GHashTable) seqs = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) stage_ranks = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) rank_stages = g_hash_table_new (NULL, NULL);

  if (!open_table (&tsv, dir, "groups.tsv", cols, idx, G_N, error))
    {
      cm_tsv_close (&tsv);
      return FALSE;
    }
  while (cm_tsv_next (&tsv, &local))
    {
      Row row;

      if (!load_group_row (s, &tsv, idx, &row, seqs, stage_ranks, rank_stages,
                           &local))
        break;
      g_array_append_val (s->rows, row);
    }
  if (local == NULL && s->rows->len == 0)
    g_set_error (&local, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                 "%s:%u:1: no group rows", tsv.display, tsv.line_no);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  cm_tsv_close (&tsv);
  if (ok)
    g_array_sort (s->rows, row_cmp);  /* §2: processed by (stage_rank, seq) */
  return ok;
}

static gboolean
load_primary_care (CmDipScheme *s, const char *dir, GError **error)
{
  static const char *const cols[] = { "dx_code", "procedure_combination" };
  guint idx[2];
  CmTsv tsv;
  gboolean ok = TRUE;
  g_autoptr (GError) local = NULL;

  if (!open_table (&tsv, dir, "primary_care.tsv", cols, idx, 2, error))
    {
      cm_tsv_close (&tsv);
      return FALSE;
    }
  while (cm_tsv_next (&tsv, &local))
    {
      g_autofree char *problem = NULL;
      const char *comb = tsv.cells[idx[1]];
      PcRow pc = { { 0, 0 }, s->alt_codes->len, 0 };

      if (!parse_dx_cond (s, tsv.cells[idx[0]], &pc.dx, &problem))
        {
          row_error (&tsv, idx[0], CM_SCHEME_ERROR_CONDITION, &local, "%s",
                     problem);
          break;
        }
      /* §9: one slot of single-code alternatives */
      if (strpbrk (comb, "+&") != NULL)
        {
          row_error (&tsv, idx[1], CM_SCHEME_ERROR_CONDITION, &local,
                     "'%s': a primary-care pattern has one slot and no '&'",
                     comb);
          break;
        }
      if (*comb != '\0')
        {
          g_auto (GStrv) alts = g_strsplit (comb, "|", -1);

          for (guint i = 0; alts[i] != NULL; i++)
            {
              guint32 id;

              if (alts[i][0] == '\0')
                {
                  row_error (&tsv, idx[1], CM_SCHEME_ERROR_CONDITION, &local,
                             "empty alternative in '%s'", comb);
                  break;
                }
              id = px_intern (s, alts[i], strlen (alts[i]));
              g_array_append_val (s->alt_codes, id);
              pc.n_codes++;
            }
          if (local != NULL)
            break;
        }
      g_array_append_val (s->pc_rows, pc);
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  cm_tsv_close (&tsv);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* Loading: the candidate index (§10)                                     */

/* Which principal procedure gives an indexed item a chance: pruning by it
 * is exact, since the item's own test (§6.3, §9) would fail otherwise. */
typedef enum {
  IX_CONSERVATIVE,  /* no slots (outside pre): only when PP is none */
  IX_STRICT,        /* strict principal slot: only when PP is one of its
                     * single-code alternatives */
  IX_ANY,           /* any-position procedures: never pruned */
} IxKind;

typedef struct {
  DxCond dx;
  gboolean dx_any_position;
  IxKind kind;
  const guint32 *codes;  /* IX_STRICT: the possible PP codes */
  guint32 n_codes;
} IxItem;

typedef struct {
  guint32 cat;
  guint32 code;     /* IX_STRICT only */
  guint32 item;
} IxEntry;

static gint
entry_cmp (gconstpointer a, gconstpointer b)
{
  const IxEntry *x = a, *y = b;

  if (x->cat != y->cat)
    return x->cat < y->cat ? -1 : 1;
  if (x->code != y->code)
    return x->code < y->code ? -1 : 1;
  return x->item < y->item ? -1 : x->item > y->item ? 1 : 0;
}

/* Sorts @entries by (category, code, item), drops repeats and builds the
 * per-category offsets. */
static void
cat_lists_build (CatLists *cl, GArray *entries, gboolean with_codes)
{
  guint32 n = 0;

  g_array_sort (entries, entry_cmp);
  cl->off = g_new0 (guint32, N_CATS + 1);
  cl->items = g_new (guint32, MAX (entries->len, 1));
  cl->codes = with_codes ? g_new (guint32, MAX (entries->len, 1)) : NULL;
  for (guint i = 0; i < entries->len; i++)
    {
      const IxEntry *e = &g_array_index (entries, IxEntry, i);

      if (i > 0 && entry_cmp (e, e - 1) == 0)
        continue;
      cl->off[e->cat + 1]++;
      cl->items[n] = e->item;
      if (with_codes)
        cl->codes[n] = e->code;
      n++;
    }
  for (int cat = 0; cat < N_CATS; cat++)
    cl->off[cat + 1] += cl->off[cat];
}

static void
cat_lists_clear (CatLists *cl)
{
  g_clear_pointer (&cl->off, g_free);
  g_clear_pointer (&cl->items, g_free);
  g_clear_pointer (&cl->codes, g_free);
}

/* Builds @ix over @n items (item numbers are positions in @items). */
static void
index_build (DxIndex *ix, const CmDipScheme *s, const IxItem *items, guint32 n)
{
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;
  g_autoptr (GArray) cons = g_array_new (FALSE, FALSE, sizeof (IxEntry));
  g_autoptr (GArray) any = g_array_new (FALSE, FALSE, sizeof (IxEntry));
  g_autoptr (GArray) strict = g_array_new (FALSE, FALSE, sizeof (IxEntry));
  g_autoptr (GArray) wild = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) odd = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint32 i = 0; i < n; i++)
    {
      const IxItem *it = &items[i];
      gboolean is_wild = it->dx_any_position, is_odd = FALSE;

      for (guint32 k = 0; k < it->dx.n && !is_wild; k++)
        {
          const DxAlt *a = &alts[it->dx.first + k];
          if (a->kind == ALT_STAR || (a->kind == ALT_PREFIX && a->spec < 3))
            is_wild = TRUE;
        }
      if (is_wild)
        {
          g_array_append_val (wild, i);
          continue;
        }
      for (guint32 k = 0; k < it->dx.n; k++)
        {
          const DxAlt *a = &alts[it->dx.first + k];
          int lo, hi;

          if (a->kind == ALT_RANGE)
            {
              /* every category between the bounds; non-category keys
               * inside the range are served by the odd list */
              lo = cat_of (a->lo);
              hi = cat_of (a->hi);
              is_odd = TRUE;
            }
          else if ((lo = hi = cat_of (a->text)) < 0)
            {
              is_odd = TRUE;  /* a 3-character key that is no category */
              continue;
            }
          for (int cat = lo; cat <= hi; cat++)
            {
              IxEntry e = { (guint32) cat, 0, i };

              if (it->kind == IX_CONSERVATIVE)
                g_array_append_val (cons, e);
              else if (it->kind == IX_ANY)
                g_array_append_val (any, e);
              else
                for (guint32 c = 0; c < it->n_codes; c++)
                  {
                    e.code = it->codes[c];
                    g_array_append_val (strict, e);
                  }
            }
        }
      if (is_odd)
        g_array_append_val (odd, i);
    }
  cat_lists_build (&ix->cons, cons, FALSE);
  cat_lists_build (&ix->any, any, FALSE);
  cat_lists_build (&ix->strict, strict, TRUE);
  ix->n_wild = wild->len;
  ix->wild = (guint32 *) g_array_free (g_steal_pointer (&wild), FALSE);
  ix->n_odd = odd->len;
  ix->odd = (guint32 *) g_array_free (g_steal_pointer (&odd), FALSE);
}

static void
index_clear (DxIndex *ix)
{
  cat_lists_clear (&ix->cons);
  cat_lists_clear (&ix->any);
  cat_lists_clear (&ix->strict);
  g_clear_pointer (&ix->wild, g_free);
  g_clear_pointer (&ix->odd, g_free);
}

/* The candidate lists of @ix for the current episode: at most three.
 * Every item that can possibly match is on one of them. */
static inline guint
index_lookup (const DxIndex *ix, const CmDipContext *ctx,
              const guint32 **lists, guint32 *ns)
{
  int cat = ctx->d0_cat;
  guint k = 0;

  if (cat >= 0)
    {
      if (!ctx->has_pp)
        {
          lists[k] = ix->cons.items + ix->cons.off[cat];
          ns[k++] = ix->cons.off[cat + 1] - ix->cons.off[cat];
        }
      else if (ctx->pp_id != CM_STRTAB_NONE)
        {
          /* the run of PP's code in the category's sorted codes */
          guint32 lo = ix->strict.off[cat], hi = ix->strict.off[cat + 1], end;

          while (lo < hi)
            {
              guint32 mid = lo + (hi - lo) / 2;
              if (ix->strict.codes[mid] < ctx->pp_id)
                lo = mid + 1;
              else
                hi = mid;
            }
          end = lo;
          while (end < ix->strict.off[cat + 1]
                 && ix->strict.codes[end] == ctx->pp_id)
            end++;
          lists[k] = ix->strict.items + lo;
          ns[k++] = end - lo;
        }
      lists[k] = ix->any.items + ix->any.off[cat];
      ns[k++] = ix->any.off[cat + 1] - ix->any.off[cat];
    }
  else
    {
      lists[k] = ix->odd;
      ns[k++] = ix->n_odd;
    }
  lists[k] = ix->wild;
  ns[k++] = ix->n_wild;
  return k;
}

/* Flags every code named in a slot of the `pre` rows (a pre-filter for
 * the first-match scan, see group_stage). */
static void
mark_pre_codes (CmDipScheme *s, const Row *rows, guint32 n)
{
  const PxSlot *slots = (const PxSlot *) s->px_slots->data;
  const PxAlt *alts = (const PxAlt *) s->px_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;
  PxInfo *info = (PxInfo *) s->px_info->data;

  for (guint32 r = 0; r < n; r++)
    for (guint32 k = 0; k < rows[r].n_slots; k++)
      {
        const PxSlot *slot = &slots[rows[r].first_slot + k];

        for (guint32 a = 0; a < slot->n_alts; a++)
          for (guint32 c = 0; c < alts[slot->first_alt + a].n_codes; c++)
            info[codes[alts[slot->first_alt + a].first_code + c]].in_pre_slot = TRUE;
      }
}

/* Indexes the rows of a stage other than `pre`. */
static void
index_stage (CmDipScheme *s, Stage *st)
{
  const Row *rows = (const Row *) s->rows->data + st->first_row;
  const PxSlot *slots = (const PxSlot *) s->px_slots->data;
  const PxAlt *alts = (const PxAlt *) s->px_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;
  g_autofree IxItem *items = g_new0 (IxItem, MAX (st->n_rows, 1));
  g_autoptr (GArray) pp = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree guint32 *first = g_new0 (guint32, MAX (st->n_rows, 1));

  for (guint32 r = 0; r < st->n_rows; r++)
    {
      const Row *row = &rows[r];

      items[r].dx = row->dx;
      items[r].dx_any_position = row->dx_any_position;
      first[r] = pp->len;
      if (row->n_slots == 0)
        items[r].kind = IX_CONSERVATIVE;
      else if (row->px_any_position)
        items[r].kind = IX_ANY;
      else
        {
          /* strict: PP must be the whole of an alternative of slot 1 */
          const PxSlot *slot = &slots[row->first_slot];

          items[r].kind = IX_STRICT;
          for (guint32 a = 0; a < slot->n_alts; a++)
            if (alts[slot->first_alt + a].n_codes == 1)
              g_array_append_val (pp, codes[alts[slot->first_alt + a].first_code]);
          items[r].n_codes = pp->len - first[r];
        }
    }
  /* pp->data is NULL while pp is empty: no offset from it (UB) */
  for (guint32 r = 0; r < st->n_rows; r++)
    items[r].codes = items[r].n_codes > 0
                     ? (const guint32 *) pp->data + first[r] : NULL;
  index_build (&st->index, s, items, st->n_rows);
}

/* Cuts the sorted rows into stages and indexes every stage but `pre`. */
static void
build_stages (CmDipScheme *s)
{
  Row *rows = (Row *) s->rows->data;
  guint32 i = 0;

  while (i < s->rows->len)
    {
      Stage st = { 0 };

      st.name = rows[i].stage_name;
      st.rank = rows[i].stage_rank;
      st.is_pre = strcmp (st.name, "pre") == 0;
      st.first_row = i;
      while (i < s->rows->len && rows[i].stage_rank == st.rank)
        i++;
      st.n_rows = i - st.first_row;
      if (st.is_pre)
        {
          mark_pre_codes (s, &rows[st.first_row], st.n_rows);
          st.slotless = g_new (guint32, MAX (st.n_rows, 1));
          for (guint32 k = 0; k < st.n_rows; k++)
            if (rows[st.first_row + k].n_slots == 0)
              st.slotless[st.n_slotless++] = k;
        }
      else
        index_stage (s, &st);
      g_array_append_val (s->stages, st);
    }
}

static void
build_primary_care_index (CmDipScheme *s)
{
  guint32 n = s->pc_rows->len;
  const PcRow *pcs = (const PcRow *) s->pc_rows->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;
  g_autofree IxItem *items = g_new0 (IxItem, MAX (n, 1));

  for (guint32 i = 0; i < n; i++)
    {
      items[i].dx = pcs[i].dx;
      items[i].kind = pcs[i].n_codes == 0 ? IX_CONSERVATIVE : IX_STRICT;
      items[i].codes = pcs[i].n_codes > 0 ? codes + pcs[i].first_code : NULL;
      items[i].n_codes = pcs[i].n_codes;
    }
  index_build (&s->pc_index, s, items, n);
}

/* §7.2: every "ZH-<category>-<S|P|M>" id, built once so results can
 * borrow them from the scheme. */
static void
build_zh_ids (CmDipScheme *s)
{
  static const char classes[3] = { 'S', 'P', 'M' };

  s->zh_ids = g_malloc (N_CATS * 3 * ZH_ID_SIZE);
  for (int cat = 0; cat < N_CATS; cat++)
    for (int k = 0; k < 3; k++)
      {
        char *p = s->zh_ids + (cat * 3 + k) * ZH_ID_SIZE;
        g_snprintf (p, ZH_ID_SIZE, "ZH-%c%02d-%c", 'A' + cat / 100, cat % 100,
                    classes[k]);
      }
}

static gboolean
has_key (const char *dir, const char *name, const char *key)
{
  static const char *const cols[] = { "key" };
  guint idx[1];
  CmTsv tsv;
  gboolean found = FALSE;

  if (open_table (&tsv, dir, name, cols, idx, 1, NULL))
    while (!found && cm_tsv_next (&tsv, NULL))
      found = strcmp (tsv.cells[idx[0]], key) == 0;
  cm_tsv_close (&tsv);
  return found;
}

/* ---------------------------------------------------------------------- */
/* Public: the scheme                                                     */

/**
 * cm_dip_scheme_is_dip_folder:
 * @dir: a folder
 *
 * A DIP folder has a `groups.tsv` and either a `meta.tsv` with the key
 * `scheme_id` or a `groups.tsv` whose header starts with `group_id`,
 * `rule_stage` (GROUPING.md §2).
 *
 * Returns: TRUE when @dir looks like a DIP scheme folder.
 */
gboolean
cm_dip_scheme_is_dip_folder (const char *dir)
{
  static const char *const cols[] = { "group_id", "rule_stage" };
  CmTsv tsv;
  gboolean ok;

  g_return_val_if_fail (dir != NULL, FALSE);
  if (!cm_tsv_exists (dir, "groups.tsv"))
    return FALSE;
  if (cm_tsv_exists (dir, "meta.tsv") && has_key (dir, "meta.tsv", "scheme_id"))
    return TRUE;
  ok = cm_tsv_open (&tsv, dir, "groups.tsv", cols, 2, NULL);
  cm_tsv_close (&tsv);
  return ok;
}

static void
scheme_free (CmDipScheme *s)
{
  if (s->stages != NULL)
    for (guint i = 0; i < s->stages->len; i++)
      {
        index_clear (&g_array_index (s->stages, Stage, i).index);
        g_free (g_array_index (s->stages, Stage, i).slotless);
      }
  index_clear (&s->pc_index);
  g_clear_pointer (&s->id, g_free);
  g_clear_pointer (&s->strings, g_string_chunk_free);
  cm_strtab_clear (&s->dx_codes);
  cm_strtab_clear (&s->px_codes);
  g_clear_pointer (&s->dx_flags, g_array_unref);
  g_clear_pointer (&s->px_info, g_array_unref);
  g_clear_pointer (&s->dx_alts, g_array_unref);
  g_clear_pointer (&s->alt_codes, g_array_unref);
  g_clear_pointer (&s->px_alts, g_array_unref);
  g_clear_pointer (&s->px_slots, g_array_unref);
  g_clear_pointer (&s->rows, g_array_unref);
  g_clear_pointer (&s->stages, g_array_unref);
  g_clear_pointer (&s->pc_rows, g_array_unref);
  g_clear_pointer (&s->zh_ids, g_free);
  g_free (s);
}

/**
 * cm_dip_scheme_load:
 * @dir: a DIP scheme folder (GROUPING.md §2)
 * @error: return location for a #GError
 *
 * Loads and compiles the tables of @dir. The scheme is immutable and may
 * be shared by threads (one #CmDipContext each).
 *
 * Errors: %CM_SCHEME_ERROR_NOT_FOUND when a table is missing,
 * %CM_SCHEME_ERROR_TABLE for a malformed row, %CM_SCHEME_ERROR_CONDITION
 * for a diagnosis or procedure condition that does not compile,
 * %CM_SCHEME_ERROR_FORMAT for an extra_condition item outside §6.5's list.
 * Messages name `folder/file:line:column: column NAME`.
 *
 * Returns: (transfer full): the scheme, or NULL with @error set.
 */
CmDipScheme *
cm_dip_scheme_load (const char *dir, GError **error)
{
  g_autoptr (CmDipScheme) s = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
                   "%s: no such folder", dir);
      return NULL;
    }
  s = g_new0 (CmDipScheme, 1);
  g_atomic_ref_count_init (&s->ref_count);
  s->strings = g_string_chunk_new (64 * 1024);
  cm_strtab_init (&s->dx_codes);
  cm_strtab_init (&s->px_codes);
  s->dx_flags = g_array_new (FALSE, TRUE, sizeof (guint8));
  s->px_info = g_array_new (FALSE, TRUE, sizeof (PxInfo));
  s->dx_alts = g_array_new (FALSE, TRUE, sizeof (DxAlt));
  s->alt_codes = g_array_new (FALSE, FALSE, sizeof (guint32));
  s->px_alts = g_array_new (FALSE, TRUE, sizeof (PxAlt));
  s->px_slots = g_array_new (FALSE, TRUE, sizeof (PxSlot));
  s->rows = g_array_new (FALSE, TRUE, sizeof (Row));
  s->stages = g_array_new (FALSE, TRUE, sizeof (Stage));
  s->pc_rows = g_array_new (FALSE, TRUE, sizeof (PcRow));

  if (!load_meta (s, dir, error)
      || !load_code_list (s, dir, "excluded_dx.tsv", DX_EXCLUDED, error)
      || !load_code_list (s, dir, "tb_resistant_dx.tsv", DX_TB_RESISTANT, error)
      || !load_code_list (s, dir, "or_procedures.tsv", 0, error)
      || !load_excluded_px (s, dir, error)
      || !load_groups (s, dir, error)
      || !load_primary_care (s, dir, error))
    return NULL;
  if (s->id == NULL)
    s->id = g_path_get_basename (dir);

  build_stages (s);
  build_primary_care_index (s);
  build_zh_ids (s);
  g_debug ("DIP scheme %s: %u rows in %u stages, %u procedure codes",
           s->id, s->rows->len, s->stages->len, s->px_codes.n);
  return g_steal_pointer (&s);
}

/**
 * cm_dip_scheme_ref:
 * @scheme: a scheme
 *
 * Returns: (transfer full): @scheme, with one more reference.
 */
CmDipScheme *
cm_dip_scheme_ref (CmDipScheme *scheme)
{
  g_return_val_if_fail (scheme != NULL, NULL);
  g_atomic_ref_count_inc (&scheme->ref_count);
  return scheme;
}

/**
 * cm_dip_scheme_unref:
 * @scheme: (transfer full): a scheme
 *
 * Drops a reference; the last one frees the scheme.
 */
void
cm_dip_scheme_unref (CmDipScheme *scheme)
{
  g_return_if_fail (scheme != NULL);
  if (g_atomic_ref_count_dec (&scheme->ref_count))
    scheme_free (scheme);
}

/**
 * cm_dip_scheme_get_id:
 * @scheme: a scheme
 *
 * Returns: (transfer none): the `scheme_id` of meta.tsv, or the folder
 * name when there is none.
 */
const char *
cm_dip_scheme_get_id (const CmDipScheme *scheme)
{
  g_return_val_if_fail (scheme != NULL, NULL);
  return scheme->id;
}

/* ---------------------------------------------------------------------- */
/* Public: the context                                                    */

/**
 * cm_dip_context_new:
 * @scheme: a scheme
 *
 * Per-thread scratch for cm_dip_group(); holds a reference on @scheme.
 *
 * Returns: (transfer full): a context.
 */
CmDipContext *
cm_dip_context_new (CmDipScheme *scheme)
{
  CmDipContext *ctx;

  g_return_val_if_fail (scheme != NULL, NULL);
  ctx = g_new0 (CmDipContext, 1);
  ctx->scheme = cm_dip_scheme_ref (scheme);
  ctx->n_px = scheme->px_codes.n;
  ctx->stamp_e = g_new0 (guint32, MAX (ctx->n_px, 1));
  ctx->stamp_o = g_new0 (guint32, MAX (ctx->n_px, 1));
  return ctx;
}

/**
 * cm_dip_context_free:
 * @ctx: (transfer full): a context
 */
void
cm_dip_context_free (CmDipContext *ctx)
{
  g_return_if_fail (ctx != NULL);
  g_clear_pointer (&ctx->scheme, cm_dip_scheme_unref);
  g_free (ctx->stamp_e);
  g_free (ctx->stamp_o);
  g_free (ctx);
}

/* ---------------------------------------------------------------------- */
/* Grouping                                                               */

/* §1.2: only a cell of ASCII digits is an integer; anything else is absent. */
static inline gboolean
field_int (const CmField *f, gint64 *out)
{
  if (f->text == NULL || !f->is_int || f->text[0] < '0' || f->text[0] > '9'
      || f->value < 0)
    return FALSE;
  *out = f->value;
  return TRUE;
}

/* §5.2: E, PP, O and the stamps of set(E), set(O). */
static G_ALWAYS_INLINE inline void
prepare_procedures (CmDipContext *ctx, const CmEpisode *ep)
{
  const CmDipScheme *s = ctx->scheme;
  const PxInfo *info = (const PxInfo *) s->px_info->data;
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;
  guint n_px = MIN (ep->n_px, CM_MAX_CODES);
  int pp = -1;

  if (++ctx->gen == 0)
    {
      memset (ctx->stamp_e, 0, ctx->n_px * sizeof (guint32));
      memset (ctx->stamp_o, 0, ctx->n_px * sizeof (guint32));
      ctx->gen = 1;
    }
  ctx->n_e = 0;
  for (guint i = 0; i < n_px; i++)
    {
      const char *code = ep->px[i];
      guint32 id;
      guint8 cls = PX_NORMAL;

      if (code == NULL || *code == '\0')
        continue;  /* §1.2: empty items are dropped */
      id = cm_strtab_lookup (&s->px_codes, code, strlen (code));
      if (id != CM_STRTAB_NONE)
        {
          cls = info[id].cls;
          if (cls == PX_CONDITIONAL)
            cls = cond_spec (alts, info[id].cond, ctx->d[0], ctx->d_len[0]) >= 0
                    ? PX_NORMAL : PX_IGNORED;
        }
      if (cls == PX_IGNORED)
        continue;
      if (pp < 0 && cls == PX_NORMAL)
        pp = (int) ctx->n_e;
      ctx->e_id[ctx->n_e] = id;
      ctx->e_cls[ctx->n_e] = cls;
      ctx->n_e++;
    }
  ctx->has_pp = pp >= 0;
  ctx->pp_id = pp >= 0 ? ctx->e_id[pp] : CM_STRTAB_NONE;
  ctx->pre_codes = FALSE;
  for (guint i = 0; i < ctx->n_e; i++)
    {
      guint32 id = ctx->e_id[i];

      if (id == CM_STRTAB_NONE)
        continue;  /* a code no table names can satisfy no slot */
      ctx->pre_codes |= info[id].in_pre_slot;
      ctx->stamp_e[id] = ctx->gen;
      if ((int) i != pp)
        ctx->stamp_o[id] = ctx->gen;  /* O: E without PP's position */
    }
}

/* §4.2 for a set pool: whether @slot is fully satisfied, its full size and
 * its present count. */
static inline gboolean
eval_slot (const CmDipScheme *s, const PxSlot *slot, const guint32 *stamp,
           guint32 gen, guint *full, guint *present)
{
  const PxAlt *alts = (const PxAlt *) s->px_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;
  gboolean sat = FALSE;

  *full = 0;
  *present = 0;
  for (guint32 i = 0; i < slot->n_alts; i++)
    {
      const PxAlt *a = &alts[slot->first_alt + i];
      guint cnt = 0;

      for (guint32 k = 0; k < a->n_codes; k++)
        if (stamp[codes[a->first_code + k]] == gen)
          cnt++;
      if (cnt == a->n_codes)
        {
          sat = TRUE;
          *full = MAX (*full, cnt);
        }
      *present = MAX (*present, cnt);
    }
  return sat;
}

/* The strict principal slot against the pool {PP}: some alternative
 * whose (distinct) codes are all PP. */
static inline gboolean
slot_has_pp (const CmDipScheme *s, const PxSlot *slot, guint32 pp_id)
{
  const PxAlt *alts = (const PxAlt *) s->px_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;

  for (guint32 i = 0; i < slot->n_alts; i++)
    {
      const PxAlt *a = &alts[slot->first_alt + i];
      if (a->n_codes == 1 && codes[a->first_code] == pp_id)
        return TRUE;
    }
  return FALSE;
}

/* §6.3: the procedure condition of @row; sets the tier and matched. */
static gboolean
row_procedures (const CmDipContext *ctx, const Row *row, gboolean pre,
                int *tier, guint *matched)
{
  const CmDipScheme *s = ctx->scheme;
  const PxSlot *slots = (const PxSlot *) s->px_slots->data + row->first_slot;
  const guint32 *pool;
  guint full_sum = 0, present_sum = 0;
  gboolean all_full = TRUE;

  *tier = TIER_C;
  *matched = 0;
  if (row->n_slots == 0)
    return pre || !ctx->has_pp;  /* pre: no condition; else conservative */

  if (row->px_any_position)
    {
      guint full, present;
      if (!eval_slot (s, &slots[0], ctx->stamp_e, ctx->gen, &full, &present))
        return FALSE;
      pool = ctx->stamp_e;
    }
  else
    {
      if (!ctx->has_pp || ctx->pp_id == CM_STRTAB_NONE
          || !slot_has_pp (s, &slots[0], ctx->pp_id))
        return FALSE;
      pool = ctx->stamp_o;
    }
  if (row->n_slots == 1)
    return TRUE;  /* plain: tier C, matched 0 */

  for (guint32 i = 1; i < row->n_slots; i++)
    {
      guint full, present;

      if (!eval_slot (s, &slots[i], pool, ctx->gen, &full, &present))
        {
          if (pre)
            return FALSE;  /* pre: every slot must be satisfied */
          all_full = FALSE;
        }
      full_sum += full;
      present_sum += present;
    }
  if (all_full)
    {
      *tier = TIER_A;
      *matched = full_sum;
      return TRUE;
    }
  if (present_sum >= 1)
    {
      *tier = TIER_B;
      *matched = present_sum;
      return TRUE;
    }
  return FALSE;
}

/* §6.2 (1): the specificity of the row's diagnosis condition, -1 when it
 * does not hold. */
static inline int
row_dx_spec (const CmDipContext *ctx, const Row *row, const DxAlt *alts)
{
  int best;

  if (!row->dx_any_position)
    return cond_spec (alts, row->dx, ctx->d[0], ctx->d_len[0]);
  best = -1;
  for (guint i = 0; i < ctx->n_d; i++)
    {
      int spec = cond_spec (alts, row->dx, ctx->d[i], ctx->d_len[i]);
      best = MAX (best, spec);
    }
  return best;
}

/* Some D[i], i ≥ 1, matches @c. */
static inline gboolean
other_dx_matches (const CmDipContext *ctx, DxCond c, const DxAlt *alts)
{
  for (guint i = 1; i < ctx->n_d; i++)
    if (cond_spec (alts, c, ctx->d[i], ctx->d_len[i]) >= 0)
      return TRUE;
  return FALSE;
}

/* §6.2 (3)–(4): the scalar conditions, cheap enough to test first. */
static inline gboolean
row_scalar_conditions (const CmEpisode *ep, const Row *row)
{
  gint64 v;

  if (row->age_lt >= 0 && !(field_int (&ep->age_days, &v) && v < row->age_lt))
    return FALSE;
  if (row->weight_lo >= 0
      && !(field_int (&ep->weight_g, &v) && v >= row->weight_lo
           && v <= row->weight_hi))
    return FALSE;
  return TRUE;
}

/* §6.2 (2) and (5). */
static gboolean
row_other_conditions (const CmDipContext *ctx, const Row *row,
                      const DxAlt *alts)
{
  if (row->secondary.n > 0 && !other_dx_matches (ctx, row->secondary, alts))
    return FALSE;
  if (row->resist_want != RESIST_NONE)
    {
      /* §6.4: the OR of the clauses */
      gboolean resistant =
        (row->resist_by_principal && (ctx->d0_flags & DX_TB_RESISTANT))
        || (row->resist_other.n > 0
            && other_dx_matches (ctx, row->resist_other, alts));
      if (resistant != (row->resist_want == RESIST_Y))
        return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Tracing (cm-trace.h). Called only when a trace is asked for: the      */
/* grouping path tests one pointer per step and does nothing else.       */

/* Appends diagnosis condition @c as the table writes it (`K80|A15-A16`). */
static void
format_dx_cond (GString *o, const CmDipScheme *s, DxCond c)
{
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;

  for (guint32 i = 0; i < c.n; i++)
    {
      const DxAlt *a = &alts[c.first + i];

      if (i > 0)
        g_string_append_c (o, '|');
      if (a->kind == ALT_STAR)
        g_string_append_c (o, '*');
      else if (a->kind == ALT_RANGE)
        g_string_append_printf (o, "%.3s-%.3s", a->lo, a->hi);
      else
        g_string_append_len (o, a->text, a->len);
    }
}

/* Appends slots @first .. @first + @n - 1 (`a|b&c+d`). */
static void
format_slots (GString *o, const CmDipScheme *s, guint32 first, guint32 n)
{
  const PxSlot *slots = (const PxSlot *) s->px_slots->data;
  const PxAlt *alts = (const PxAlt *) s->px_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;

  for (guint32 k = 0; k < n; k++)
    {
      const PxSlot *slot = &slots[first + k];

      if (k > 0)
        g_string_append_c (o, '+');
      for (guint32 i = 0; i < slot->n_alts; i++)
        {
          const PxAlt *a = &alts[slot->first_alt + i];

          if (i > 0)
            g_string_append_c (o, '|');
          for (guint32 c = 0; c < a->n_codes; c++)
            g_string_append_printf (o, "%s%s", c ? "&" : "",
                                    cm_strtab_get (&s->px_codes, codes[a->first_code + c]));
        }
    }
}

/* The row as one condition text: dx_code, procedures, secondary_dx and
 * the extra conditions that apply. */
static char *
row_condition_text (const CmDipScheme *s, const Row *row)
{
  GString *o = g_string_new ("dx ");

  format_dx_cond (o, s, row->dx);
  if (row->dx_any_position)
    g_string_append (o, " (any position)");
  if (row->n_slots > 0)
    {
      g_string_append (o, "; procedures ");
      format_slots (o, s, row->first_slot, row->n_slots);
      if (row->px_any_position)
        g_string_append (o, " (any position)");
    }
  else
    g_string_append (o, "; no procedure combination");
  if (row->secondary.n > 0)
    {
      g_string_append (o, "; secondary dx ");
      format_dx_cond (o, s, row->secondary);
    }
  if (row->age_lt >= 0)
    g_string_append_printf (o, "; age_days<%" G_GINT64_FORMAT, row->age_lt);
  if (row->weight_lo >= 0)
    g_string_append_printf (o, "; birth_weight_g=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                            row->weight_lo, row->weight_hi);
  if (row->resist_want != RESIST_NONE)
    g_string_append_printf (o, "; drug_resistant=%c",
                            row->resist_want == RESIST_Y ? 'Y' : 'N');
  return g_string_free (o, FALSE);
}

static char
tier_char (int tier)
{
  return tier == TIER_A ? 'A' : tier == TIER_B ? 'B' : 'C';
}

/* §5.2: the class of procedure @code for this episode (conditional codes
 * resolved against D[0]). */
static guint8
px_class (const CmDipContext *ctx, const char *code)
{
  const CmDipScheme *s = ctx->scheme;
  const PxInfo *info = (const PxInfo *) s->px_info->data;
  guint32 id = cm_strtab_lookup (&s->px_codes, code, strlen (code));
  guint8 cls;

  if (id == CM_STRTAB_NONE)
    return PX_NORMAL;
  cls = info[id].cls;
  if (cls == PX_CONDITIONAL)
    cls = cond_spec ((const DxAlt *) s->dx_alts->data, info[id].cond, ctx->d[0],
                     ctx->d_len[0]) >= 0 ? PX_NORMAL : PX_IGNORED;
  return cls;
}

/* E of the episode as texts (§5.2); returns n and the position of PP in
 * it (-1 when none). */
static guint
effective (const CmDipContext *ctx, const CmEpisode *ep, const char **e, int *pp)
{
  guint n_px = MIN (ep->n_px, CM_MAX_CODES), n = 0;

  *pp = -1;
  for (guint i = 0; i < n_px; i++)
    {
      const char *code = ep->px[i];
      guint8 cls;

      if (code == NULL || *code == '\0')
        continue;
      cls = px_class (ctx, code);
      if (cls == PX_IGNORED)
        continue;
      if (*pp < 0 && cls == PX_NORMAL)
        *pp = (int) n;
      e[n++] = code;
    }
  return n;
}

static void
trace_input (CmTrace *t, const CmDipContext *ctx, const CmEpisode *ep)
{
  guint n_px = MIN (ep->n_px, CM_MAX_CODES);
  guint k = 0;

  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "diagnoses", NULL);
  for (guint i = 0; i < ctx->n_d; i++)
    cm_trace_code (t, ctx->d[i]);
  if (ctx->n_d == 0)
    cm_trace_note_text (t, "none");
  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "procedures", NULL);
  for (guint i = 0; i < n_px; i++)
    if (ep->px[i] != NULL && ep->px[i][0] != '\0')
      {
        cm_trace_code (t, ep->px[i]);
        k++;
      }
  if (k == 0)
    cm_trace_note_text (t, "none");
  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "fields", NULL);
  cm_trace_note (t, "age_days %s, birth_weight_g %s (GROUPING.md §1.1: no other "
                 "field is read)",
                 ep->age_days.text ? ep->age_days.text : "absent",
                 ep->weight_g.text ? ep->weight_g.text : "absent");
}

/* §5.2: the class of each procedure, E, PP and O. */
static void
trace_procedures (CmTrace *t, const CmDipContext *ctx, const CmEpisode *ep)
{
  const CmDipScheme *s = ctx->scheme;
  const PxInfo *info = (const PxInfo *) s->px_info->data;
  g_autoptr (GString) note = g_string_new (NULL);
  guint n_px = MIN (ep->n_px, CM_MAX_CODES);
  const char *e[CM_MAX_CODES];
  int pp;
  guint n_e = effective (ctx, ep, e, &pp);

  cm_trace_add (t, CM_TRACE_PROCEDURES, CM_TRACE_INFO, 0, pp >= 0 ? e[pp] : "", NULL);
  cm_trace_table (t, "excluded_px.tsv");
  for (guint i = 0; i < n_px; i++)
    {
      const char *code = ep->px[i];
      guint32 id;
      const char *cls = "normal";

      if (code == NULL || *code == '\0')
        continue;
      id = cm_strtab_lookup (&s->px_codes, code, strlen (code));
      if (id != CM_STRTAB_NONE)
        switch (info[id].cls)
          {
          case PX_IGNORED:
            cls = "ignored (按保守治疗入组)";
            break;
          case PX_NOT_PRINCIPAL:
            cls = "not principal (不可作为主要手术操作)";
            break;
          case PX_CONDITIONAL:
            cls = px_class (ctx, code) == PX_NORMAL
                  ? "normal (allowed with this principal diagnosis)"
                  : "ignored (allowed only with other principal diagnoses)";
            break;
          default:
            break;
          }
      g_string_append_printf (note, "%s%s %s", note->len ? "; " : "", code, cls);
      cm_trace_code (t, code);
    }
  if (note->len == 0)
    g_string_append (note, "no procedure");
  if (pp >= 0)
    g_string_append_printf (note, "; principal procedure PP = %s", e[pp]);
  else
    g_string_append (note, "; no principal procedure (PP none)");
  g_string_append (note, "; other procedures O =");
  for (guint i = 0; i < n_e; i++)
    if ((int) i != pp)
      g_string_append_printf (note, " %s", e[i]);
  if (n_e <= (pp >= 0 ? 1u : 0u))
    g_string_append (note, " none");
  cm_trace_note_text (t, note->str);
}

/* A candidate row of a stage, with its §6.6 key. */
static void
trace_candidate (CmTrace *t, const CmDipScheme *s, const Row *row, int spec,
                 int tier, guint matched, guint depth)
{
  g_autofree char *cond = row_condition_text (s, row);

  cm_trace_add (t, CM_TRACE_CANDIDATE, CM_TRACE_YES, depth, row->group_id, cond);
  cm_trace_key (t, spec, tier_char (tier), (int) matched, (int) row->seq);
  cm_trace_table (t, "groups.tsv");
  if (tier == TIER_A && row->n_slots > 1)
    cm_trace_note (t, "every related slot fully present (tier A), %u related "
                   "code(s) matched", matched);
  else if (tier == TIER_B)
    cm_trace_note (t, "related slots partly present (tier B), %u related code(s) "
                   "present", matched);
  else if (row->n_slots == 0)
    cm_trace_note_text (t, "no procedure combination (tier C)");
  else
    cm_trace_note_text (t, "diagnosis and principal procedure (tier C)");
}

/* Closes the STAGE step of @st: its outcome, how many candidates, and the
 * RANKING step of the winner. */
static void
trace_stage_end (CmTrace *t, const Stage *st, const Row *best, int spec,
                 int tier, guint matched)
{
  int at = cm_trace_last (t);
  guint n_cand = 0;

  while (at >= 0 && cm_trace_get_step (t, (guint) at)->kind != CM_TRACE_STAGE)
    {
      n_cand++;
      at--;
    }
  if (at < 0)
    return;
  cm_trace_set_step_outcome (t, (guint) at, best ? CM_TRACE_YES : CM_TRACE_NO);
  if (best == NULL)
    {
      /* the note goes on the STAGE step, which is the last step here */
      cm_trace_note (t, "no row of stage %s holds", st->name);
      return;
    }
  cm_trace_add (t, CM_TRACE_RANKING, CM_TRACE_YES, 1, best->group_id, NULL);
  cm_trace_key (t, spec, tier_char (tier), (int) matched, (int) best->seq);
  cm_trace_note (t, "%u candidate(s) in stage %s; %s has the smallest key "
                 "(-specificity, tier A<B<C, -matched, seq) (GROUPING.md §6.6)",
                 n_cand, st->name, best->group_id);
}

/* §6.1 / §6.6: the row chosen by @st, or NULL. With @trace, a STAGE step,
 * a CANDIDATE step per row that holds and the RANKING step. Instantiated
 * twice (group_stage, group_stage_traced): with @trace a constant NULL the
 * trace code folds away. */
static G_ALWAYS_INLINE inline const Row *
group_stage_impl (const CmDipContext *ctx, const CmEpisode *ep, const Stage *st,
                  CmTrace *trace)
{
  const CmDipScheme *s = ctx->scheme;
  const Row *rows = (const Row *) s->rows->data;
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;
  const Row *best = NULL;
  int best_spec = -1, best_tier = 0;
  guint best_matched = 0;
  const guint32 *lists[3];
  guint32 ns[3];
  guint n_lists;

  if (st->is_pre)
    {
      /* first row in seq order whose every condition holds; a row with
       * slots needs a code of E in its principal slot (strict: PP ∈ E),
       * so without any code named by a pre slot only the slot-less rows
       * can match */
      guint32 n = ctx->pre_codes ? st->n_rows : st->n_slotless;

      for (guint32 i = 0; i < n; i++)
        {
          const Row *row = &rows[st->first_row
                                 + (ctx->pre_codes ? i : st->slotless[i])];
          int tier;
          guint matched;

          if (row_scalar_conditions (ep, row)
              && row_dx_spec (ctx, row, alts) >= 0
              && row_procedures (ctx, row, TRUE, &tier, &matched)
              && row_other_conditions (ctx, row, alts))
            {
              if (G_UNLIKELY (trace != NULL))
                {
                  cm_trace_add (trace, CM_TRACE_STAGE, CM_TRACE_YES, 0, st->name, NULL);
                  cm_trace_note (trace, "first row of stage %s in seq order whose "
                                 "every condition holds (GROUPING.md §6.1)", st->name);
                  trace_candidate (trace, s, row, row_dx_spec (ctx, row, alts),
                                   tier, matched, 1);
                }
              return row;
            }
        }
      if (G_UNLIKELY (trace != NULL))
        {
          cm_trace_add (trace, CM_TRACE_STAGE, CM_TRACE_NO, 0, st->name, NULL);
          cm_trace_note (trace, "no row of stage %s holds", st->name);
        }
      return NULL;
    }

  if (G_UNLIKELY (trace != NULL))
    cm_trace_add (trace, CM_TRACE_STAGE, CM_TRACE_NO, 0, st->name, NULL);
  n_lists = index_lookup (&st->index, ctx, lists, ns);
  for (guint l = 0; l < n_lists; l++)
    for (guint32 k = 0; k < ns[l]; k++)
      {
        const Row *row = &rows[st->first_row + lists[l][k]];
        int spec, tier;
        guint matched;

        spec = row_dx_spec (ctx, row, alts);
        if (spec < 0 || !row_procedures (ctx, row, FALSE, &tier, &matched)
            || !row_scalar_conditions (ep, row)
            || !row_other_conditions (ctx, row, alts))
          continue;
        if (G_UNLIKELY (trace != NULL))
          trace_candidate (trace, s, row, spec, tier, matched, 1);
        /* smallest (−specificity, tier, −matched, seq) */
        if (best == NULL || spec > best_spec
            || (spec == best_spec
                && (tier < best_tier
                    || (tier == best_tier
                        && (matched > best_matched
                            || (matched == best_matched
                                && row->seq < best->seq))))))
          {
            best = row;
            best_spec = spec;
            best_tier = tier;
            best_matched = matched;
          }
      }
  if (G_UNLIKELY (trace != NULL))
    trace_stage_end (trace, st, best, best_spec, best_tier, best_matched);
  return best;
}

static const Row *
group_stage (const CmDipContext *ctx, const CmEpisode *ep, const Stage *st)
{
  return group_stage_impl (ctx, ep, st, NULL);
}

static G_NO_INLINE const Row *
group_stage_traced (const CmDipContext *ctx, const CmEpisode *ep,
                    const Stage *st, CmTrace *trace)
{
  return group_stage_impl (ctx, ep, st, trace);
}

/* §9 (3): some primary_care.tsv pattern matches the episode. */
static G_ALWAYS_INLINE inline gboolean
primary_care_matches (const CmDipContext *ctx)
{
  const CmDipScheme *s = ctx->scheme;
  const PcRow *pcs = (const PcRow *) s->pc_rows->data;
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;
  const guint32 *codes = (const guint32 *) s->alt_codes->data;
  const guint32 *lists[3];
  guint32 ns[3];
  guint n_lists = index_lookup (&s->pc_index, ctx, lists, ns);

  for (guint l = 0; l < n_lists; l++)
    for (guint32 k = 0; k < ns[l]; k++)
      {
        const PcRow *pc = &pcs[lists[l][k]];

        if (cond_spec (alts, pc->dx, ctx->d[0], ctx->d_len[0]) < 0)
          continue;
        if (pc->n_codes == 0)
          {
            if (!ctx->has_pp)
              return TRUE;
            continue;
          }
        if (!ctx->has_pp || ctx->pp_id == CM_STRTAB_NONE)
          continue;
        for (guint32 c = 0; c < pc->n_codes; c++)
          if (codes[pc->first_code + c] == ctx->pp_id)
            return TRUE;
      }
  return FALSE;
}

static void
set_result (CmDipResult *result, CmDipStatus status, const char *group_id,
            const char *rule_stage, gboolean primary_care)
{
  result->status = status;
  result->status_name = status_names[status];
  result->group_id = group_id;
  result->rule_stage = rule_stage;
  result->primary_care = primary_care;
  result->procedure_class = '\0';
}

/* GROUPING.md §7.2: 0 (S) if some code of E is an OR code, 1 (P) if E is
 * not empty, else 2 (M). */
static guint
procedure_class (const CmDipContext *ctx)
{
  const PxInfo *info = (const PxInfo *) ctx->scheme->px_info->data;

  for (guint i = 0; i < ctx->n_e; i++)
    if (ctx->e_id[i] != CM_STRTAB_NONE && info[ctx->e_id[i]].is_or)
      return 0;
  return ctx->n_e > 0 ? 1 : 2;
}

/* §7.2 / §7.3 for the trace. */
static void
trace_no_core (CmTrace *t, const CmDipContext *ctx, const CmEpisode *ep,
               gboolean comprehensive, int k, const char *group_id)
{
  const char *e[CM_MAX_CODES];
  int pp;
  guint n_e = effective (ctx, ep, e, &pp);

  if (ctx->d0_cat < 0 || !comprehensive)
    {
      cm_trace_add (t, CM_TRACE_UNGROUPED, CM_TRACE_INFO, 0, NULL, NULL);
      if (!comprehensive)
        cm_trace_note_text (t, "no core row; comprehensive groups are switched "
                            "off (GROUPING.md §7.3)");
      else
        cm_trace_note (t, "no core row; the principal diagnosis %s does not "
                       "start with an ICD-10 category [A-Z][0-9]{2} "
                       "(GROUPING.md §7.3)", ctx->d[0]);
      return;
    }
  cm_trace_add (t, CM_TRACE_COMPREHENSIVE, CM_TRACE_YES, 0, group_id, NULL);
  cm_trace_table (t, "or_procedures.tsv");
  if (k == 0)
    {
      const CmDipScheme *s = ctx->scheme;
      const PxInfo *info = (const PxInfo *) s->px_info->data;
      const char *or_code = "";
      for (guint i = 0; i < n_e && !*or_code; i++)
        {
          guint32 id = cm_strtab_lookup (&s->px_codes, e[i], strlen (e[i]));
          if (id != CM_STRTAB_NONE && info[id].is_or)
            or_code = e[i];
        }
      cm_trace_code (t, or_code);
      cm_trace_note (t, "no core row: comprehensive group of category %.3s, "
                     "class S: effective procedure %s is on or_procedures.tsv "
                     "(GROUPING.md §7.2)", ctx->d[0], or_code);
    }
  else if (k == 1)
    cm_trace_note (t, "no core row: comprehensive group of category %.3s, class "
                   "P: %u effective procedure(s), none on or_procedures.tsv "
                   "(GROUPING.md §7.2)", ctx->d[0], n_e);
  else
    cm_trace_note (t, "no core row: comprehensive group of category %.3s, class "
                   "M: no effective procedure (GROUPING.md §7.2)", ctx->d[0]);
}

/* §9 for the trace. */
static void
trace_primary_care (CmTrace *t, const CmDipContext *ctx, const Stage *st,
                    const Row *row, gboolean pc)
{
  cm_trace_add (t, CM_TRACE_PRIMARY_CARE, pc ? CM_TRACE_YES : CM_TRACE_NO, 0,
                NULL, NULL);
  cm_trace_table (t, "primary_care.tsv");
  if (st->is_pre)
    cm_trace_note_text (t, "a pre row never carries the primary-care flag "
                        "(GROUPING.md §9)");
  else if (row->n_slots > 1)
    cm_trace_note (t, "%s has related-procedure slots: no primary-care flag "
                   "(GROUPING.md §9)", row->group_id);
  else if (pc)
    cm_trace_note (t, "a primary_care.tsv pattern matches the principal "
                   "diagnosis %s and the principal procedure", ctx->d[0]);
  else
    cm_trace_note (t, "no primary_care.tsv pattern matches the principal "
                   "diagnosis %s with this principal procedure", ctx->d[0]);
}

/* The body of cm_dip_group and cm_dip_group_traced, inlined into both:
 * in cm_dip_group's instance @trace is a constant NULL and no trace code
 * is left. */
static G_ALWAYS_INLINE inline void
dip_group (CmDipContext *ctx, const CmEpisode *episode,
           gboolean comprehensive, CmTrace *trace, CmDipResult *result)
{
  const CmDipScheme *s;
  const Stage *stages;
  guint n_dx;
  guint32 id;
  int k;

  s = ctx->scheme;

  /* §1.2: D without empty items */
  ctx->n_d = 0;
  n_dx = MIN (episode->n_dx, CM_MAX_CODES);
  for (guint i = 0; i < n_dx; i++)
    if (episode->dx[i] != NULL && episode->dx[i][0] != '\0')
      {
        ctx->d[ctx->n_d] = episode->dx[i];
        ctx->d_len[ctx->n_d] = strlen (episode->dx[i]);
        ctx->n_d++;
      }

  if (G_UNLIKELY (trace != NULL))
    trace_input (trace, ctx, episode);

  /* §5.1 */
  if (ctx->n_d == 0)
    {
      if (G_UNLIKELY (trace != NULL))
        {
          cm_trace_add (trace, CM_TRACE_CHECK, CM_TRACE_YES, 0, NULL, NULL);
          cm_trace_note_text (trace, "there is no principal diagnosis: "
                              "CHECK_FAILED (GROUPING.md §5.1)");
        }
      set_result (result, CM_DIP_CHECK_FAILED, "", "", FALSE);
      return;
    }
  id = cm_strtab_lookup (&s->dx_codes, ctx->d[0], ctx->d_len[0]);
  ctx->d0_flags = id == CM_STRTAB_NONE ? 0 : g_array_index (s->dx_flags, guint8, id);
  if (G_UNLIKELY (trace != NULL))
    {
      gboolean excluded = (ctx->d0_flags & DX_EXCLUDED) != 0;
      cm_trace_add (trace, CM_TRACE_EXCLUDED_DX, excluded ? CM_TRACE_YES : CM_TRACE_NO,
                    0, ctx->d[0], NULL);
      cm_trace_code (trace, ctx->d[0]);
      cm_trace_table (trace, "excluded_dx.tsv");
      cm_trace_note (trace, "principal diagnosis %s is %son excluded_dx.tsv "
                     "(exact match, GROUPING.md §5.1)%s", ctx->d[0],
                     excluded ? "" : "not ", excluded ? ": EXCLUDED_DX" : "");
    }
  if (ctx->d0_flags & DX_EXCLUDED)
    {
      set_result (result, CM_DIP_EXCLUDED_DX, "", "", FALSE);
      return;
    }
  ctx->d0_cat = cat_of (ctx->d[0]);

  /* §5.2 */
  prepare_procedures (ctx, episode);
  k = (int) procedure_class (ctx);
  if (G_UNLIKELY (trace != NULL))
    trace_procedures (trace, ctx, episode);

  /* §6: the first stage that yields a row decides */
  stages = (const Stage *) s->stages->data;
  for (guint i = 0; i < s->stages->len; i++)
    {
      const Row *row = trace != NULL
                       ? group_stage_traced (ctx, episode, &stages[i], trace)
                       : group_stage (ctx, episode, &stages[i]);

      if (row != NULL)
        {
          /* §9: plain or conservative row outside pre, and a pattern */
          gboolean pc = !stages[i].is_pre && row->n_slots <= 1
                        && primary_care_matches (ctx);
          if (G_UNLIKELY (trace != NULL))
            trace_primary_care (trace, ctx, &stages[i], row, pc);
          set_result (result, CM_DIP_GROUPED, row->group_id, row->stage_name, pc);
          result->procedure_class = "SPM"[k];
          return;
        }
    }

  /* §7.3 */
  if (ctx->d0_cat < 0 || !comprehensive)
    {
      if (G_UNLIKELY (trace != NULL))
        trace_no_core (trace, ctx, episode, comprehensive, -1, NULL);
      set_result (result, CM_DIP_UNGROUPED, "", "", FALSE);
      result->procedure_class = "SPM"[k];
      return;
    }
  /* §7.2: the class k computed after §5.2 */
  if (G_UNLIKELY (trace != NULL))
    trace_no_core (trace, ctx, episode, comprehensive, k,
                   s->zh_ids + (ctx->d0_cat * 3 + k) * ZH_ID_SIZE);
  set_result (result, CM_DIP_COMPREHENSIVE,
              s->zh_ids + (ctx->d0_cat * 3 + k) * ZH_ID_SIZE, "comprehensive",
              FALSE);
  result->procedure_class = "SPM"[k];
}

/**
 * cm_dip_group:
 * @ctx: a context of this thread
 * @episode: the episode (dx, px, age_days, weight_g are read)
 * @comprehensive: FALSE for `--no-comprehensive` (GROUPING.md §7.3)
 * @result: (out caller-allocates): the result; its strings are static or
 *   borrowed from the scheme
 *
 * Groups one episode per GROUPING.md §5–§9. Outcomes (CHECK_FAILED,
 * EXCLUDED_DX, UNGROUPED …) are statuses, never errors. Allocates nothing.
 */
void
cm_dip_group (CmDipContext *ctx, const CmEpisode *episode,
              gboolean comprehensive, CmDipResult *result)
{
  g_return_if_fail (ctx != NULL);
  g_return_if_fail (episode != NULL);
  g_return_if_fail (result != NULL);
  dip_group (ctx, episode, comprehensive, NULL, result);
}

/* cm_dip_group, recording into @trace (cm-trace-private.h). */
void
cm_dip_group_traced (CmDipContext *ctx, const CmEpisode *episode,
                     gboolean comprehensive, CmTrace *trace,
                     CmDipResult *result)
{
  g_return_if_fail (ctx != NULL && episode != NULL);
  g_return_if_fail (trace != NULL && result != NULL);
  dip_group (ctx, episode, comprehensive, trace, result);
}

/* ---------------------------------------------------------------------- */
/* Why not (cm-explain.h). Runs the engine once, then evaluates the       */
/* target row's conditions one by one with the engine's own tests.        */

typedef struct {
  CmTrace *t;
  int blocked;     /* first requirement that fails, -1 */
  int preempted;   /* first preemption, -1 */
} WhyNot;

static void
requirement_step (WhyNot *w, gboolean ok, guint depth, const char *subject,
                  const char *condition, const char *note)
{
  cm_trace_add (w->t, CM_TRACE_REQUIREMENT, ok ? CM_TRACE_YES : CM_TRACE_NO,
                depth, subject, condition);
  cm_trace_note_text (w->t, note);
  if (!ok && w->blocked < 0)
    w->blocked = cm_trace_last (w->t);
}

static void
append_dx_list (GString *o, const CmDipContext *ctx, guint from)
{
  for (guint i = from; i < ctx->n_d && i < from + 6; i++)
    g_string_append_printf (o, "%s%s", i > from ? ", " : "", ctx->d[i]);
  if (ctx->n_d > from + 6)
    g_string_append_printf (o, " and %u more", ctx->n_d - from - 6);
}

/* "the episode's X does" / "the episode's (a, b) do not" for D[from..]. */
static gboolean
other_dx_fact (GString *o, const CmDipContext *ctx, DxCond c, guint from)
{
  const DxAlt *alts = (const DxAlt *) ctx->scheme->dx_alts->data;

  for (guint i = from; i < ctx->n_d; i++)
    if (cond_spec (alts, c, ctx->d[i], ctx->d_len[i]) >= 0)
      {
        g_string_append_printf (o, "the episode's %s does", ctx->d[i]);
        return TRUE;
      }
  if (ctx->n_d <= from)
    g_string_append_printf (o, "the episode has no %sdiagnosis", from ? "secondary " : "");
  else
    {
      g_string_append (o, "the episode's (");
      append_dx_list (o, ctx, from);
      g_string_append (o, ctx->n_d - from == 1 ? ") does not" : ") do not");
    }
  return FALSE;
}

static void
append_field (GString *o, const CmField *f)
{
  gint64 v;
  if (field_int (f, &v))
    g_string_append_printf (o, "%" G_GINT64_FORMAT, v);
  else
    g_string_append (o, f->text ? "not a whole number" : "absent");
}

/* The procedure condition of @row (§6.3), with one TERM per slot. */
static void
explain_procedures (WhyNot *w, const CmDipContext *ctx, const CmEpisode *ep,
                    const Row *row, gboolean pre)
{
  const CmDipScheme *s = ctx->scheme;
  const PxSlot *slots = (const PxSlot *) s->px_slots->data + row->first_slot;
  const char *e[CM_MAX_CODES];
  int pp, tier;
  guint matched, n_e = effective (ctx, ep, e, &pp);
  gboolean ok = row_procedures (ctx, row, pre, &tier, &matched);
  g_autoptr (GString) cond = g_string_new (NULL);
  g_autoptr (GString) note = g_string_new (NULL);
  const guint32 *pool;

  if (row->n_slots == 0)
    {
      if (pre)
        requirement_step (w, TRUE, 1, row->group_id, NULL,
                          "a pre row without procedure combination applies "
                          "whatever the procedures (GROUPING.md §6.3)");
      else
        {
          g_string_printf (note, "conservative row (no procedure combination): "
                           "the episode must have no effective principal "
                           "procedure (GROUPING.md §6.3); ");
          if (pp >= 0)
            g_string_append_printf (note, "the episode's is %s", e[pp]);
          else
            g_string_append (note, "the episode has none");
          requirement_step (w, ok, 1, row->group_id, NULL, note->str);
        }
      return;
    }
  format_slots (cond, s, row->first_slot, row->n_slots);
  g_string_printf (note, "the procedure combination %s", ok ? "holds" : "does not hold");
  if (ok)
    g_string_append_printf (note, " (tier %c, %u related code(s) matched)",
                            tier_char (tier), matched);
  requirement_step (w, ok, 1, row->group_id, cond->str, note->str);

  /* the principal slot */
  g_string_truncate (cond, 0);
  format_slots (cond, s, row->first_slot, 1);
  if (row->px_any_position)
    {
      guint full, present;
      gboolean sat = eval_slot (s, &slots[0], ctx->stamp_e, ctx->gen, &full, &present);
      g_string_printf (note, "the effective procedures (any position) must "
                       "include %s; the episode's are ", cond->str);
      for (guint i = 0; i < n_e; i++)
        g_string_append_printf (note, "%s%s", i ? ", " : "", e[i]);
      if (n_e == 0)
        g_string_append (note, "none");
      cm_trace_add (w->t, CM_TRACE_TERM, sat ? CM_TRACE_YES : CM_TRACE_NO, 2,
                    "slot 1", cond->str);
      cm_trace_note_text (w->t, note->str);
      pool = ctx->stamp_e;
    }
  else
    {
      gboolean sat = ctx->has_pp && ctx->pp_id != CM_STRTAB_NONE
                     && slot_has_pp (s, &slots[0], ctx->pp_id);
      g_string_printf (note, "principal procedure must be one of %s; ", cond->str);
      if (pp >= 0)
        g_string_append_printf (note, "the episode's is %s (first effective "
                                "procedure that may be principal, GROUPING.md "
                                "§5.2)", e[pp]);
      else
        g_string_append (note, "the episode has none (GROUPING.md §5.2)");
      cm_trace_add (w->t, CM_TRACE_TERM, sat ? CM_TRACE_YES : CM_TRACE_NO, 2,
                    "slot 1", cond->str);
      cm_trace_note_text (w->t, note->str);
      pool = ctx->stamp_o;
    }

  /* the related slots */
  for (guint32 i = 1; i < row->n_slots; i++)
    {
      guint full, present;
      gboolean sat = eval_slot (s, &slots[i], pool, ctx->gen, &full, &present);
      char subject[16];

      g_snprintf (subject, sizeof subject, "slot %u", i + 1);
      g_string_truncate (cond, 0);
      format_slots (cond, s, row->first_slot + i, 1);
      if (sat)
        g_string_printf (note, "related slot fully present (%u code(s))", full);
      else if (present > 0)
        g_string_printf (note, "related slot partly present (%u code(s))%s",
                         present, pre ? "; a pre row needs every slot in full" : "");
      else
        g_string_printf (note, "no code of this related slot is among the "
                         "episode's %s procedures",
                         row->px_any_position ? "effective" : "other");
      cm_trace_add (w->t, CM_TRACE_TERM, sat ? CM_TRACE_YES : CM_TRACE_NO, 2,
                    subject, cond->str);
      cm_trace_note_text (w->t, note->str);
    }
}

/* Every condition of @row, in the engine's terms (§6.2, §6.3). */
static void
explain_row (WhyNot *w, const CmDipContext *ctx, const CmEpisode *ep,
             const Row *row, gboolean pre)
{
  const CmDipScheme *s = ctx->scheme;
  const DxAlt *alts = (const DxAlt *) s->dx_alts->data;
  g_autoptr (GString) cond = g_string_new (NULL);
  g_autoptr (GString) note = g_string_new (NULL);
  int spec = row_dx_spec (ctx, row, alts);
  gint64 v;

  format_dx_cond (cond, s, row->dx);
  if (row->dx_any_position)
    {
      g_string_printf (note, "some diagnosis (any position, 不限定为主要诊断) must "
                       "match dx_code %s (GROUPING.md §3); ", cond->str);
      other_dx_fact (note, ctx, row->dx, 0);
    }
  else
    g_string_printf (note, "principal diagnosis must match dx_code %s "
                     "(GROUPING.md §3: prefix, range or *); the episode's is %s",
                     cond->str, ctx->d[0]);
  requirement_step (w, spec >= 0, 1, row->group_id, cond->str, note->str);

  if (row->secondary.n > 0)
    {
      gboolean ok;
      g_string_truncate (cond, 0);
      format_dx_cond (cond, s, row->secondary);
      g_string_printf (note, "some secondary diagnosis must match secondary_dx "
                       "%s; ", cond->str);
      ok = other_dx_fact (note, ctx, row->secondary, 1);
      requirement_step (w, ok, 1, row->group_id, cond->str, note->str);
    }
  if (row->age_lt >= 0)
    {
      gboolean ok = field_int (&ep->age_days, &v) && v < row->age_lt;
      g_string_printf (note, "age_days must be less than %" G_GINT64_FORMAT
                       "; the episode's is ", row->age_lt);
      append_field (note, &ep->age_days);
      g_string_printf (cond, "age_days<%" G_GINT64_FORMAT, row->age_lt);
      requirement_step (w, ok, 1, row->group_id, cond->str, note->str);
    }
  if (row->weight_lo >= 0)
    {
      gboolean ok = field_int (&ep->weight_g, &v) && v >= row->weight_lo
                    && v <= row->weight_hi;
      g_string_printf (note, "birth_weight_g must be from %" G_GINT64_FORMAT
                       " to %" G_GINT64_FORMAT "; the episode's is ",
                       row->weight_lo, row->weight_hi);
      append_field (note, &ep->weight_g);
      g_string_printf (cond, "birth_weight_g=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                       row->weight_lo, row->weight_hi);
      requirement_step (w, ok, 1, row->group_id, cond->str, note->str);
    }
  if (row->resist_want != RESIST_NONE)
    {
      gboolean by_principal = row->resist_by_principal
                              && (ctx->d0_flags & DX_TB_RESISTANT);
      gboolean by_other = row->resist_other.n > 0
                          && other_dx_matches (ctx, row->resist_other, alts);
      gboolean resistant = by_principal || by_other;
      gboolean want = row->resist_want == RESIST_Y;

      g_string_printf (note, "the tuberculosis drug-resistance flag must be %c; "
                       "the episode's is %c (GROUPING.md §6.4: ", want ? 'Y' : 'N',
                       resistant ? 'Y' : 'N');
      if (row->resist_by_principal)
        g_string_append_printf (note, "principal diagnosis %s is %son "
                                "tb_resistant_dx.tsv%s", ctx->d[0],
                                (ctx->d0_flags & DX_TB_RESISTANT) ? "" : "not ",
                                row->resist_other.n > 0 ? "; " : "");
      if (row->resist_other.n > 0)
        {
          g_string_truncate (cond, 0);
          format_dx_cond (cond, s, row->resist_other);
          g_string_append_printf (note, "other diagnoses matching %s: ", cond->str);
          other_dx_fact (note, ctx, row->resist_other, 1);
        }
      g_string_append_c (note, ')');
      g_string_printf (cond, "drug_resistant=%c", want ? 'Y' : 'N');
      requirement_step (w, resistant == want, 1, row->group_id, cond->str, note->str);
    }
  explain_procedures (w, ctx, ep, row, pre);
}

/* The key of @row for the episode (it must be a candidate). */
static void
row_key (const CmDipContext *ctx, const Row *row, gboolean pre, int *spec,
         int *tier, guint *matched)
{
  *spec = row_dx_spec (ctx, row, (const DxAlt *) ctx->scheme->dx_alts->data);
  row_procedures (ctx, row, pre, tier, matched);
}

static void
preempt_step (WhyNot *w, const CmDipContext *ctx, const Row *winner,
              gboolean pre, const char *note)
{
  g_autofree char *cond = row_condition_text (ctx->scheme, winner);
  int spec, tier;
  guint matched;

  row_key (ctx, winner, pre, &spec, &tier, &matched);
  cm_trace_add (w->t, CM_TRACE_PREEMPTED, CM_TRACE_YES, 1, winner->group_id, cond);
  cm_trace_key (w->t, spec, tier_char (tier), (int) matched, (int) winner->seq);
  cm_trace_note_text (w->t, note);
  cm_trace_table (w->t, "groups.tsv");
  if (w->preempted < 0)
    w->preempted = cm_trace_last (w->t);
}

/* A comprehensive target ZH-<category>-<class> (§7.2). */
static void
explain_comprehensive (WhyNot *w, const CmDipContext *ctx, const CmEpisode *ep,
                       gboolean comprehensive, const char *target)
{
  const CmDipScheme *s = ctx->scheme;
  const PxInfo *info = (const PxInfo *) s->px_info->data;
  g_autoptr (GString) note = g_string_new (NULL);
  const char *e[CM_MAX_CODES];
  int pp;
  guint n_e = effective (ctx, ep, e, &pp);
  const char *or_code = NULL;
  char want = target[7];
  char have;

  for (guint i = 0; i < n_e && or_code == NULL; i++)
    {
      guint32 id = cm_strtab_lookup (&s->px_codes, e[i], strlen (e[i]));
      if (id != CM_STRTAB_NONE && info[id].is_or)
        or_code = e[i];
    }
  have = or_code ? 'S' : n_e > 0 ? 'P' : 'M';

  requirement_step (w, comprehensive, 1, target, NULL,
                    comprehensive ? "comprehensive groups are switched on"
                                  : "comprehensive groups must be switched on; "
                                    "they are off (--no-comprehensive)");
  g_string_printf (note, "the principal diagnosis must be in category %.3s; "
                   "the episode's is %s", target + 3, ctx->d[0]);
  requirement_step (w, strncmp (ctx->d[0], target + 3, 3) == 0 && ctx->d0_cat >= 0,
                    1, target, NULL, note->str);
  if (want == 'S')
    g_string_printf (note, "class S: some effective procedure must be on "
                     "or_procedures.tsv; ");
  else if (want == 'P')
    g_string_printf (note, "class P: there must be effective procedures, none "
                     "on or_procedures.tsv; ");
  else
    g_string_printf (note, "class M: there must be no effective procedure; ");
  if (or_code)
    g_string_append_printf (note, "the episode's %s is on it", or_code);
  else if (n_e > 0)
    {
      g_string_append (note, "the episode's effective procedures (");
      for (guint i = 0; i < n_e; i++)
        g_string_append_printf (note, "%s%s", i ? ", " : "", e[i]);
      g_string_append (note, ") are not on it");
    }
  else
    g_string_append (note, "the episode has no effective procedure");
  requirement_step (w, want == have, 1, target, NULL, note->str);
}

gboolean
cm_dip_why_not (CmDipContext *ctx, const CmEpisode *ep, gboolean comprehensive,
                const char *target, CmTrace *t, GError **error)
{
  const CmDipScheme *s = ctx->scheme;
  const Row *rows = (const Row *) s->rows->data;
  const Stage *stages = (const Stage *) s->stages->data;
  const Row *row = NULL;
  const Stage *st = NULL;
  guint st_index = 0;
  const CmGroupResult *actual = cm_trace_get_result (t);
  gboolean zh;
  CmDipResult res;
  WhyNot w = { t, -1, -1 };

  for (guint i = 0; i < s->stages->len && row == NULL; i++)
    for (guint32 k = 0; k < stages[i].n_rows; k++)
      if (strcmp (rows[stages[i].first_row + k].group_id, target) == 0)
        {
          row = &rows[stages[i].first_row + k];
          st = &stages[i];
          st_index = i;
          break;
        }
  zh = row == NULL && strlen (target) == 8 && strncmp (target, "ZH-", 3) == 0
       && cat_of (target + 3) >= 0 && target[6] == '-'
       && (target[7] == 'S' || target[7] == 'P' || target[7] == 'M');
  if (row == NULL && !zh)
    {
      g_set_error (error, CM_EXPLAIN_ERROR, CM_EXPLAIN_ERROR_TARGET,
                   "'%s' is not a group of scheme %s (a groups.tsv group_id "
                   "or ZH-<category>-S|P|M)", target, s->id);
      return FALSE;
    }
  cm_trace_set_target (t, target, zh ? "dip_comprehensive" : "dip_group");
  if (actual != NULL && strcmp (actual->group_id, target) == 0)
    {
      cm_trace_add (t, CM_TRACE_RESULT, CM_TRACE_YES, 0, target, NULL);
      cm_trace_note (t, "the episode groups to %s (%s)", target, actual->status);
      cm_trace_set_verdict (t, CM_WHY_NOT_IS_RESULT, cm_trace_last (t));
      return TRUE;
    }

  /* group once: the context then holds D, E, PP and O of the episode */
  dip_group (ctx, ep, comprehensive, NULL, &res);
  if (res.status == CM_DIP_CHECK_FAILED || res.status == CM_DIP_EXCLUDED_DX)
    {
      gboolean check = res.status == CM_DIP_CHECK_FAILED;
      cm_trace_add (t, check ? CM_TRACE_CHECK : CM_TRACE_EXCLUDED_DX, CM_TRACE_YES,
                    0, check ? NULL : ctx->d[0], NULL);
      if (check)
        cm_trace_note_text (t, "there is no principal diagnosis, so the episode "
                            "gets status CHECK_FAILED before any group "
                            "(GROUPING.md §5.1)");
      else
        cm_trace_note (t, "principal diagnosis %s is on excluded_dx.tsv, so the "
                       "episode gets status EXCLUDED_DX before any group "
                       "(GROUPING.md §5.1)", ctx->d[0]);
      cm_trace_set_verdict (t, CM_WHY_NOT_NOT_GROUPED, cm_trace_last (t));
      return TRUE;
    }

  cm_trace_add (t, CM_TRACE_TARGET, CM_TRACE_INFO, 0, target, NULL);
  if (zh)
    cm_trace_note (t, "comprehensive group: no core row of any stage may hold "
                   "(GROUPING.md §7)");
  else
    cm_trace_note (t, "row seq %u of stage %s (rank %" G_GINT64_FORMAT ")",
                   row->seq, st->name, st->rank);

  /* stages before the target's stage (every stage, for ZH) */
  for (guint i = 0; i < (zh ? s->stages->len : st_index); i++)
    {
      const Row *win = group_stage (ctx, ep, &stages[i]);
      if (win != NULL)
        {
          g_autofree char *why = zh
            ? g_strdup_printf ("stage %s chooses core row %s, so no comprehensive "
                               "group is formed", stages[i].name, win->group_id)
            : g_strdup_printf ("stage %s comes before %s (stage_rank) and "
                               "chooses %s; later stages are not consulted "
                               "(GROUPING.md §6.1)", stages[i].name, st->name,
                               win->group_id);
          preempt_step (&w, ctx, win, stages[i].is_pre, why);
          break;
        }
    }

  if (zh)
    explain_comprehensive (&w, ctx, ep, comprehensive, target);
  else
    {
      explain_row (&w, ctx, ep, row, st->is_pre);
      if (w.blocked < 0)
        {
          const Row *win = group_stage (ctx, ep, st);
          if (win != NULL && win != row)
            {
              int spec, tier;
              guint matched;
              g_autofree char *why = NULL;

              row_key (ctx, row, st->is_pre, &spec, &tier, &matched);
              if (st->is_pre)
                why = g_strdup_printf ("%s comes before %s in seq and holds: the "
                                       "first row of stage pre wins "
                                       "(GROUPING.md §6.1)", win->group_id,
                                       row->group_id);
              else
                {
                  int wspec, wtier;
                  guint wmatched;
                  row_key (ctx, win, FALSE, &wspec, &wtier, &wmatched);
                  why = g_strdup_printf ("%s ranks before %s in stage %s "
                                         "(GROUPING.md §6.6: the most specific "
                                         "diagnosis condition, then tier A<B<C, then "
                                         "the most related codes matched, then the "
                                         "lowest seq): %s has "
                                         "specificity %d, tier %c, matched %u, seq %u; "
                                         "%s has specificity %d, tier %c, matched %u, "
                                         "seq %u", win->group_id, row->group_id,
                                         st->name, win->group_id, wspec,
                                         tier_char (wtier), wmatched, win->seq,
                                         row->group_id, spec, tier_char (tier),
                                         matched, row->seq);
                }
              preempt_step (&w, ctx, win, st->is_pre, why);
            }
        }
    }

  if (w.blocked >= 0)
    cm_trace_set_verdict (t, CM_WHY_NOT_BLOCKED, w.blocked);
  else if (w.preempted >= 0)
    cm_trace_set_verdict (t, CM_WHY_NOT_PREEMPTED, w.preempted);
  else
    {
      cm_trace_add (t, CM_TRACE_RESULT, CM_TRACE_INFO, 0, target, NULL);
      cm_trace_note (t, "every condition holds; the episode groups to %s",
                     actual ? actual->group_id : "?");
      cm_trace_set_verdict (t, CM_WHY_NOT_PREEMPTED, cm_trace_last (t));
    }
  return TRUE;
}
