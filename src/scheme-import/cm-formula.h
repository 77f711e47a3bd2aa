/* cm-formula.h — grouping conditions as trees: the flat scheme's condition
 * language (schemes/FORMAT.md §4, §9) and the formula language of the NHSA
 * DRG 3.0 configuration workbook, both ways.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The workbook writes "(ZYZD in DI_BB2) and (ZYSS in OP_BB2)" where the
 * flat scheme writes "all(pdx_in(DI_BB2), ppx_in(OP_BB2))". The mapping
 * (schemes/chs-drg-3.0/README.md):
 *
 *   workbook                          condition
 *   ZYZD in S                         pdx_in(S)        principal diagnosis
 *   QTZD in S                         sdx_any_in(S)    other diagnoses
 *   ZYSS in S                         ppx_in(S)        principal procedure
 *   QTSS in S                         spx_any_in(S)    other procedures
 *   {ZYSS, QTSS} in S                 px_any_in(S)
 *   {ZYZD, QTZD} in S                 dx_any_in(S)
 *   QTZD in MCC | CC | {MCC, CC}      has_mcc | has_cc | any(has_mcc, has_cc)
 *   X in {S1, S2}                     any(X in S1, X in S2)
 *   X not in S                        not(X in S)
 *   NL, XSRTL, XSRTZ op n             age_years, age_days, weight_g op n
 *   XB = 1                            sex = "1"
 *   length(S ∩ {ZYSS, QTSS}) op n     px_count_in(S) op n
 *   a and b and c / a or b            all(a, b, c) / any(a, b)  (and binds tighter)
 *   1 / 0                             true / false
 *
 * `and`, `or`, `not`, `in` and the variable names are case-insensitive.
 * A chain of one operator becomes one all()/any(); a parenthesised group
 * stays a node of its own, so "(a and b) and c" is all(all(a, b), c). That
 * rule makes the translation exact both ways: cm_fx_render_formula() puts
 * parentheses exactly where a node must stay separate, and parsing its
 * output gives back the same tree, hence the same condition text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CM_FX_TRUE,
  CM_FX_FALSE,
  CM_FX_HAS_MCC,
  CM_FX_HAS_CC,
  CM_FX_ALL,
  CM_FX_ANY,
  CM_FX_NOT,
  CM_FX_AT_LEAST,  /* num = N */
  CM_FX_KNOWN,     /* name = field */
  CM_FX_IN,        /* name = predicate (pdx_in, …), arg = list id */
  CM_FX_CMP,       /* name = field, op, num */
  CM_FX_CMP_STR,   /* name = field, op, arg = string */
  CM_FX_PX_COUNT,  /* arg = list id, op, num */
} CmFxKind;

typedef struct _CmFx CmFx;
struct _CmFx {
  CmFxKind kind;
  char *name;
  char *arg;
  char op[3];
  gint64 num;
  GPtrArray *kids;  /* CmFx*, for ALL, ANY, NOT, AT_LEAST */
};

#define CM_FX_ERROR (cm_fx_error_quark ())
typedef enum {
  CM_FX_ERROR_SYNTAX,       /* the text does not parse */
  CM_FX_ERROR_UNSUPPORTED,  /* well-formed, but has no equivalent on the other side */
} CmFxError;

GQuark cm_fx_error_quark (void);

void cm_fx_free (CmFx *fx);

/* Parses a flat-scheme condition. Errors say "at character N". */
CmFx *cm_fx_parse_condition (const char *text, GError **error);
/* The condition in the canonical spelling of the shipped tables
 * ("all(a, b)", "age_years >= 70", 'sex = "1"'). */
char *cm_fx_render_condition (const CmFx *fx);

/* Parses a workbook formula. An empty text is an error: the caller decides
 * what an empty rule means. Errors say "at character N" (1-based,
 * in characters). */
CmFx *cm_fx_parse_formula (const char *text, GError **error);
/* The workbook formula for @fx, or NULL with CM_FX_ERROR_UNSUPPORTED when
 * the formula language has no way to say it (dept, at_least(), …). */
char *cm_fx_render_formula (const CmFx *fx, GError **error);

/* Adds every list id that @fx names to @lists (a set of borrowed strings). */
void cm_fx_collect_lists (const CmFx *fx, GHashTable *lists);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmFx, cm_fx_free)

G_END_DECLS
