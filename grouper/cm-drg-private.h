/* cm-drg-private.h — the compiled DRG scheme image and the condition
 * language (schemes/FORMAT.md §4), shared by cm-cond.c and cm-drg.c.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design. Every code that any table mentions (list members, CC and
 * exclusion codes, translation sources and targets) is interned once in
 * `codes`; a CodeInfo per code id holds everything the grouper ever asks
 * about that code: the lists it belongs to (a sorted run of list indices),
 * its MCC/CC exclusion ids and its own exclusion id as a principal
 * diagnosis, and its translation targets. Grouping an episode therefore
 * costs one hash look-up per code; after that every predicate is a search
 * in a short sorted array. Conditions are compiled once per distinct text
 * into nodes of one flat array; evaluation is lazy and short-circuits left
 * to right, as the reference does (the order matters only for errors). */
#pragma once

#include "cm-drg.h"
#include "cm-strtab-private.h"
#include "cm-trace.h"

G_BEGIN_DECLS

#define CM_NO_ID G_MAXUINT32

typedef enum {
  CM_FIELD_SEX,
  CM_FIELD_AGE_YEARS,
  CM_FIELD_AGE_DAYS,
  CM_FIELD_WEIGHT_G,
  CM_FIELD_DEPT,
  CM_FIELD_LOS_DAYS,
  CM_FIELD_DISCHARGE,
  CM_FIELD_ICU_HOURS,
  CM_FIELD_AMOUNT,
  CM_FIELD_DX_COUNT,
  CM_FIELD_PX_COUNT,
  CM_N_FIELDS
} CmCondField;

typedef enum {
  CM_COND_TRUE,
  CM_COND_FALSE,
  CM_COND_HAS_MCC,
  CM_COND_HAS_CC,
  CM_COND_ALL,
  CM_COND_ANY,
  CM_COND_NOT,
  CM_COND_AT_LEAST,
  CM_COND_KNOWN,
  CM_COND_PDX_IN,
  CM_COND_SDX_ANY_IN,
  CM_COND_DX_ANY_IN,
  CM_COND_PPX_IN,
  CM_COND_PX_ANY_IN,
  CM_COND_SPX_ANY_IN,
  CM_COND_SEX_IN,
  CM_COND_DEPT_IN,
  CM_COND_DISCHARGE_IN,
  CM_COND_CMP_INT,      /* field op n */
  CM_COND_CMP_STR,      /* field (= | !=) "s" */
  CM_COND_PX_COUNT_IN,  /* px_count_in(list) op n */
} CmCondOp;

typedef enum { CM_CMP_LT, CM_CMP_LE, CM_CMP_GT, CM_CMP_GE, CM_CMP_EQ, CM_CMP_NE } CmCmp;

typedef struct {
  guint8 op;       /* CmCondOp */
  guint8 field;    /* CmCondField */
  guint8 cmp;      /* CmCmp */
  guint8 pad;
  guint32 n_kids;  /* ALL, ANY, NOT, AT_LEAST */
  guint32 arg;     /* first kid index in kids[], or list index */
  gint64 num;      /* integer constant; AT_LEAST's N */
  const char *str; /* CMP_STR's string */
} CmCondNode;

typedef struct {
  guint32 lists_off;   /* into list_members */
  guint32 n_lists;
  guint32 mcc_excl;    /* exclusion id when the code is an MCC, else CM_NO_ID */
  guint32 cc_excl;     /* exclusion id when the code is a CC, else CM_NO_ID */
  guint32 pdx_excl;    /* exclusion id as a principal diagnosis, else CM_NO_ID */
  guint32 dx_target;   /* dx_map target code id, else CM_NO_ID */
  guint32 px_target;   /* px_map target code id, else CM_NO_ID */
} CmCodeInfo;

typedef enum { CM_RULE_ADRG, CM_RULE_QY, CM_RULE_FAIL } CmRuleKind;

typedef struct {
  const char *drg;
  guint32 cond;
  guint32 line;
} CmDrgSplit;

typedef struct {
  const char *rule_id;
  const char *adrg;
  const char *fallback;   /* "" = continue with the next rule */
  guint32 cond;
  CmRuleKind kind;
  guint32 splits_off;     /* into splits[] */
  guint32 n_splits;
  gint64 order;
} CmDrgRule;

typedef struct {
  const char *mdc;
  guint32 cond;
  guint32 rules_off;      /* into rules[] */
  guint32 n_rules;
  gint64 order;
} CmDrgMdc;

typedef struct {
  guint32 cond;
  const char *status;
  const char *description;
  gint64 order;
} CmDrgCheck;

struct _CmDrgScheme {
  gatomicrefcount ref;
  char *dir;
  char *id;
  int format_version;

  GHashTable *meta;       /* key → value */
  GHashTable *settings;   /* key → value */
  GHashTable *names;      /* drg / adrg / mdc code → name */
  GStringChunk *strings;  /* every other string the scheme keeps */

  CmStrtab codes;
  CmCodeInfo *info;       /* per code id */
  guint32 *list_members;  /* list indices, sorted per code */

  CmStrtab lists;         /* list id → list index (list_info.tsv order) */
  guint32 *list_sizes;
  CmStrtab excl;          /* exclusion id text → small int */

  GArray *nodes;          /* CmCondNode */
  GArray *kids;           /* guint32 node indices */

  CmDrgMdc *mdcs;
  guint n_mdcs;
  CmDrgRule *rules;
  guint n_rules;
  CmDrgSplit *splits;
  guint n_splits;
  CmDrgCheck *checks;
  guint n_checks;

  GMappedFile *pack;      /* when loaded from a pack: info, list_members,
                           * list_sizes and the strtabs point into it */

  /* settings */
  const char *ungroupable_code;
  const char *fail_mdc, *fail_adrg, *fail_drg;
  const char *reject_mdc, *reject_adrg, *reject_drg;
  const char *check_error_status;
  gboolean retry_each_secondary_px;
  gboolean translate_usable;
};

/* Which code positions a list-membership bitset covers. */
enum {
  CM_BITS_PDX,   /* D[0] */
  CM_BITS_SDX,   /* D[1..] */
  CM_BITS_DX,    /* D[*] */
  CM_BITS_PPX,   /* P[0] */
  CM_BITS_SPX,   /* P[1..] */
  CM_BITS_PX,    /* P[*] */
  CM_N_BITS
};

/* Per-episode evaluation state (one per context).
 *
 * Before the checks, the lists that the episode's codes belong to are
 * spread into six bitsets (one bit per list of the scheme): "principal
 * diagnosis in L", "some secondary diagnosis in L", … then become a single
 * bit test, whatever the predicate. */
typedef struct {
  const CmDrgScheme *scheme;
  const CmEpisode *ep;
  guint n_dx;
  guint n_px;
  const guint32 *dx;      /* code ids (CM_NO_ID = unknown code) */
  const guint32 *px;
  int has_mcc;            /* -1 = not computed yet */
  int has_cc;
  guint64 *bits[CM_N_BITS];       /* owned by the context */
  guint32 text_id[CM_N_FIELDS];   /* looked-up ids of sex/dept/discharge */
  gboolean text_done[CM_N_FIELDS];
  /* tracing (cm-trace.h): NULL when no trace is asked for; the engine
   * tests it once per step and does nothing else for it */
  CmTrace *trace;
  guint trace_depth;              /* depth of the search's MDC steps */
  const char *const *dx_text;     /* the code texts behind dx / px */
  const char *const *px_text;
} CmEval;

#define CM_EVAL_ERROR (-1)

/* cm-drg.c */
CmDrgScheme *cm_drg_scheme_alloc (const char *dir, gboolean tables);
gboolean cm_drg_scheme_read_settings (CmDrgScheme *s, GError **error);

/* cm-drg-pack.c: the compiled-scheme cache. */
gboolean cm_drg_pack_enabled (void);
/* The cached compiled scheme of @dir, or NULL (no pack, stale, corrupt,
 * or built by another engine version: the caller loads the TSV files). */
CmDrgScheme *cm_drg_pack_load (const char *dir);
/* Writes the pack of a scheme just loaded from @dir (best effort). */
void cm_drg_pack_save (const CmDrgScheme *s, const char *dir);
/* The pack file for @dir (for tests and `casemix scheme`). */
char *cm_drg_pack_path (const char *dir);

/* Compiles @text; returns the root node index. Errors name @where
 * ("file:line") and the 1-based column of the condition cell @col0 + offset. */
gboolean cm_cond_compile (CmDrgScheme *scheme, const char *text,
                          const char *where, gsize col0,
                          guint32 *root, GError **error);
/* 1 true, 0 false, CM_EVAL_ERROR on a non-integer in a numeric comparison */
int cm_cond_eval (CmEval *ev, guint32 node);
/* Appends the condition at @node in the syntax of FORMAT.md §4 (the text
 * it was compiled from, white space normalised). */
void cm_cond_format (const CmDrgScheme *scheme, guint32 node, GString *out);
/* The name of a condition field ("age_years", …). */
const char *cm_cond_field_name (guint field);
/* The complication rule (§4.2) for secondary diagnosis D[@i] at level MCC
 * (@mcc) or CC: 0 not of that level, 1 counts, 2 excluded by the
 * principal's exclusion id. *@excl is the code's exclusion id (CM_NO_ID
 * when 0). For explanations; has_mcc/has_cc do not call it. */
int cm_cond_complication (const CmEval *ev, guint i, gboolean mcc,
                          guint32 *excl);

static inline gboolean
cm_bit_test (const guint64 *bits, guint32 list)
{
  return (bits[list >> 6] >> (list & 63)) & 1;
}

/* Number of 64-bit words of one bitset. */
static inline guint
cm_bits_words (const CmDrgScheme *s)
{
  return (s->lists.n + 63) / 64;
}

/* cm_cond_eval with the commonest leaves (list predicates: one bit test)
 * answered inline, without a call. Same results, same order. */
static inline int
cm_cond_eval_fast (CmEval *ev, guint32 idx)
{
  const CmCondNode *n = &((const CmCondNode *) (void *) ev->scheme->nodes->data)[idx];

  switch (n->op)
    {
    case CM_COND_PDX_IN: return cm_bit_test (ev->bits[CM_BITS_PDX], n->arg);
    case CM_COND_SDX_ANY_IN: return cm_bit_test (ev->bits[CM_BITS_SDX], n->arg);
    case CM_COND_DX_ANY_IN: return cm_bit_test (ev->bits[CM_BITS_DX], n->arg);
    case CM_COND_PPX_IN: return cm_bit_test (ev->bits[CM_BITS_PPX], n->arg);
    case CM_COND_PX_ANY_IN: return cm_bit_test (ev->bits[CM_BITS_PX], n->arg);
    case CM_COND_SPX_ANY_IN: return cm_bit_test (ev->bits[CM_BITS_SPX], n->arg);
    case CM_COND_TRUE: return 1;
    default: return cm_cond_eval (ev, idx);
    }
}

/* Fills the diagnosis (@dx TRUE) or procedure bitsets of @ev. */
void cm_eval_fill_bits (CmEval *ev, gboolean dx);

/* cm-drg.c: builds D and P of @episode into @ev exactly as cm_drg_group
 * does (translation, code ids, bitsets). FALSE when the episode stops
 * before the checks (translation): @result then holds that outcome. */
gboolean cm_drg_prepare (CmDrgContext *ctx, const CmEpisode *episode,
                         gboolean translate, CmEval *ev,
                         CmGroupResult *result);
/* (transfer none): the scheme of @ctx. */
const CmDrgScheme *cm_drg_context_get_scheme (const CmDrgContext *ctx);

/* cm-explain.c: what the DRG engine records when ev->trace is set. */
void cm_drg_trace_input (CmEval *ev, const CmEpisode *episode,
                         gboolean translated);
void cm_drg_trace_reject (CmTrace *trace, const CmDrgScheme *scheme,
                          const CmEpisode *episode, const char *status);
void cm_drg_trace_check (CmEval *ev, const CmDrgCheck *check, int result);
void cm_drg_trace_mdc (CmEval *ev, const CmDrgMdc *mdc, int result);
void cm_drg_trace_mdc_empty (CmEval *ev, const CmDrgMdc *mdc);
void cm_drg_trace_rule (CmEval *ev, const CmDrgRule *rule, int result);
void cm_drg_trace_split (CmEval *ev, const CmDrgSplit *split, int result);
void cm_drg_trace_fallback (CmEval *ev, const CmDrgRule *rule);
void cm_drg_trace_nothing (CmEval *ev);
void cm_drg_trace_retry (CmEval *ev, const char *procedure);

/* TRUE when code id @code belongs to list @list. */
static inline gboolean
cm_code_in_list (const CmDrgScheme *s, guint32 code, guint32 list)
{
  const CmCodeInfo *ci;
  const guint32 *m;
  guint32 lo, hi;

  if (code == CM_NO_ID)
    return FALSE;
  ci = &s->info[code];
  m = s->list_members + ci->lists_off;
  lo = 0;
  hi = ci->n_lists;
  while (lo < hi)
    {
      guint32 mid = (lo + hi) / 2;
      if (m[mid] < list)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < ci->n_lists && m[lo] == list;
}

G_END_DECLS
