/* fuzz-condition.c — libFuzzer target: the condition language of flat DRG
 * schemes (cm_cond_compile, cm_cond_eval, cm_cond_format) on the fixture
 * scheme tests/data/schemes/mini-v2.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: the condition text up to the first LF, then an episode in the
 * words of fuzz_episode_parse() (fuzz-group.h). The evaluation state is
 * set up as tests/test-cond.c does.
 *
 * Checks: a failed compile sets one CM_SCHEME_ERROR_CONDITION that names
 * the place; a compiled condition formats to text that compiles again to
 * the same text (cm_cond_format is what explanations show) and evaluates
 * to the same result, which is 1, 0 or CM_EVAL_ERROR. */
#include "config.h"

#include "fuzz-group.h"
#include "cm-drg-private.h"

static CmDrgScheme *scheme;
static guint n_nodes, n_kids;
static guint runs;

static void
load_scheme (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = fuzz_data_path ("schemes/mini-v2");

  g_clear_pointer (&scheme, cm_drg_scheme_unref);
  scheme = cm_drg_scheme_load (dir, &error);
  if (scheme == NULL)
    {
      fprintf (stderr, "fuzz-condition: %s\n", error->message);
      abort ();
    }
  n_nodes = scheme->nodes->len;
  n_kids = scheme->kids->len;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  load_scheme ();
  return 0;
}

static void
check_compile_error (const GError *error)
{
  FUZZ_CHECK (error != NULL, "compile failed without an error");
  FUZZ_CHECK (error->domain == CM_SCHEME_ERROR
              && error->code == CM_SCHEME_ERROR_CONDITION,
              "error %s %d: %s", g_quark_to_string (error->domain), error->code,
              error->message);
  FUZZ_CHECK (g_str_has_prefix (error->message, "fuzz.tsv:3:"),
              "the message does not name the place: %s", error->message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text1 = g_string_new (NULL);
  g_autoptr (GString) text2 = g_string_new (NULL);
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  static guint64 bits[2][CM_N_BITS][64];
  guint32 root, root2, dx[CM_MAX_CODES], px[CM_MAX_CODES];
  char *nl, *spec;
  int r1, r2;

  /* compiling adds to the scheme: start each run from the loaded one, and
   * load it again now and then (strings cannot be taken back) */
  if (++runs % 20000 == 0)
    load_scheme ();
  g_array_set_size (scheme->nodes, n_nodes);
  g_array_set_size (scheme->kids, n_kids);

  nl = strchr (input, '\n');
  spec = nl ? nl + 1 : input + strlen (input);
  if (nl)
    *nl = '\0';

  if (!cm_cond_compile (scheme, input, "fuzz.tsv:3", 7, &root, &error))
    {
      check_compile_error (error);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "compiled with an error");
  FUZZ_CHECK (root < scheme->nodes->len, "root %u of %u nodes", root,
              scheme->nodes->len);

  /* what explanations show compiles back to itself */
  cm_cond_format (scheme, root, text1);
  if (!cm_cond_compile (scheme, text1->str, "fuzz.tsv:3", 7, &root2, &error))
    FUZZ_CHECK (FALSE, "[%s] formats as [%s], which does not compile: %s",
                input, text1->str, error->message);
  cm_cond_format (scheme, root2, text2);
  FUZZ_CHECK (strcmp (text1->str, text2->str) == 0,
              "[%s] formats as [%s], then as [%s]", input, text1->str,
              text2->str);

  /* evaluate both on the episode, as tests/test-cond.c does */
  fuzz_episode_parse (spec, ep);
  for (guint i = 0; i < ep->n_dx; i++)
    {
      guint32 id = cm_strtab_lookup (&scheme->codes, ep->dx[i], strlen (ep->dx[i]));
      dx[i] = id == CM_STRTAB_NONE ? CM_NO_ID : id;
    }
  for (guint i = 0; i < ep->n_px; i++)
    {
      guint32 id = cm_strtab_lookup (&scheme->codes, ep->px[i], strlen (ep->px[i]));
      px[i] = id == CM_STRTAB_NONE ? CM_NO_ID : id;
    }
  FUZZ_CHECK (cm_bits_words (scheme) <= 64, "too many lists");
  for (int k = 0; k < 2; k++)
    {
      CmEval ev = { 0 };
      int r;

      ev.scheme = scheme;
      ev.ep = ep;
      ev.dx = dx;
      ev.n_dx = ep->n_dx;
      ev.px = px;
      ev.n_px = ep->n_px;
      ev.has_mcc = ev.has_cc = -1;
      for (int b = 0; b < CM_N_BITS; b++)
        ev.bits[b] = bits[k][b];
      cm_eval_fill_bits (&ev, TRUE);
      cm_eval_fill_bits (&ev, FALSE);
      r = cm_cond_eval (&ev, k == 0 ? root : root2);
      FUZZ_CHECK (r == 0 || r == 1 || r == CM_EVAL_ERROR, "result %d", r);
      for (guint i = 0; i < ep->n_dx; i++)
        for (int mcc = 0; mcc < 2; mcc++)
          {
            guint32 excl;
            int c = cm_cond_complication (&ev, i, mcc, &excl);
            FUZZ_CHECK (c >= 0 && c <= 2, "complication %d", c);
          }
      if (k == 0)
        r1 = r;
      else
        r2 = r;
    }
  FUZZ_CHECK (r1 == r2, "[%s] gives %d, its formatted text [%s] %d", input,
              r1, text1->str, r2);
  return 0;
}
