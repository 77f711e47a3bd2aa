/* cm-cli-price.c — `casemix price`: episodes in, one priced row per
 * accepted episode out (in input order), broken lines to the rejects file.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each worker thread owns a CmPriceContext (grouping contexts of every
 * scheme of the policy) and running totals; the totals are added up when
 * the workers end. Money is written as yuan with two decimals by
 * cm_fen_format; the row is built without allocating once warm. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-money-private.h"
#include "cm-policy.h"
#include "cm-price.h"

/* The default row: what a bureau or hospital reads. --detail adds the
 * inputs and intermediate figures (docs/payment.md §5). */
#define PRICE_HEADER \
  "episode_id,scheme,group,shadow_scheme,shadow_group,method,class,review," \
  "priced_group,weight,coefficient,case_score,points,standard,pay,fund,profit_loss"
#define PRICE_DETAIL_HEADER \
  ",status,year,level,insurance,los_days,paid_days,rate,point_value,ratio," \
  "reference,cost,patient,other,hospital_income"

typedef struct {
  guint64 n;
  CmFen cost, pay, fund, patient, profit_loss;
} Totals;

typedef struct {
  CmPolicy *policy;
  CmPriceOptions options;
  gboolean detail;
  GMutex lock;
  /* the names and their lengths, looked up once */
  const char *method_name[CM_PAY_METHOD_N];
  const char *class_name[CM_CASE_N];
  guint8 method_len[CM_PAY_METHOD_N];
  guint8 class_len[CM_CASE_N];
  Totals totals[CM_PAY_METHOD_N];
  guint64 overflow;
} PriceJob;

typedef struct {
  PriceJob *job;
  CmPriceContext *ctx;
  const char *scheme, *shadow;    /* the last ids seen and their lengths */
  gsize scheme_len, shadow_len;
} PriceWorker;

/* What one written row adds to the summary. Summed by the pipeline's
 * writer (one thread, in input order), so a row rejected afterwards as a
 * duplicate_id is never counted. */
typedef struct {
  guint method;
  gboolean priced;
  gboolean overflow;
  CmFen cost, pay, fund, patient, profit_loss;
} RowFigures;

static gpointer
price_worker_new (gpointer user_data)
{
  PriceJob *job = user_data;
  PriceWorker *w = g_new0 (PriceWorker, 1);

  w->job = job;
  /* options were checked against the policy before the run */
  w->ctx = cm_price_context_new (job->policy, &job->options, NULL);
  return w;
}

static void
add_totals (Totals *dst, const Totals *src)
{
  dst->n += src->n;
  dst->cost += src->cost;
  dst->pay += src->pay;
  dst->fund += src->fund;
  dst->patient += src->patient;
  dst->profit_loss += src->profit_loss;
}

static void
price_worker_free (gpointer worker)
{
  PriceWorker *w = worker;

  cm_price_context_free (w->ctx);
  g_free (w);
}

static void
price_written (gpointer user_data, gconstpointer payload)
{
  PriceJob *job = user_data;
  const RowFigures *f = payload;
  Totals t = { 1, f->cost, 0, 0, 0, 0 };

  if (f->priced)
    {
      t.pay = f->pay;
      t.fund = f->fund;
      t.patient = f->patient;
      t.profit_loss = f->profit_loss;
    }
  add_totals (&job->totals[f->method], &t);
  job->overflow += f->overflow;
}

/* The row is written straight into @out's buffer: strings whose length is
 * known, numbers by cm_scaled_put (which copies a fixed span of
 * CM_SCALED_SPAN bytes). ROW_FIXED bounds what the numeric and fixed
 * columns can take, the span included. */
#define ROW_FIXED 640

/* A short copy inline, by overlapping words (never reading past @s + @n):
 * the columns are codes and names of a few bytes, where a call to memcpy
 * costs more than the copy. */
static inline void
copy_short (char *p, const char *s, gsize n)
{
  if (n >= 8)
    {
      guint64 a, b;
      if (n > 16)
        {
          memcpy (p, s, n);
          return;
        }
      memcpy (&a, s, 8);
      memcpy (&b, s + n - 8, 8);
      memcpy (p, &a, 8);
      memcpy (p + n - 8, &b, 8);
    }
  else if (n >= 4)
    {
      guint32 a, b;
      memcpy (&a, s, 4);
      memcpy (&b, s + n - 4, 4);
      memcpy (p, &a, 4);
      memcpy (p + n - 4, &b, 4);
    }
  else if (n > 0)
    {
      p[0] = s[0];
      p[n / 2] = s[n / 2];
      p[n - 1] = s[n - 1];
    }
}

static inline char *
put_strn (char *p, const char *s, gsize n)
{
  copy_short (p, s, n);
  p[n] = ',';
  return p + n + 1;
}

/* The number writers are out of line on purpose: inlined at each of the
 * 19 columns they made the row writer large enough to evict the grouper
 * from the instruction cache (measured: 34 more I1 misses per case). */
static G_NO_INLINE char *
put_int (char *p, gint64 v)
{
  p = cm_scaled_put (p, v, 0);
  *p = ',';
  return p + 1;
}

static G_NO_INLINE char *
put_fen (char *p, CmFen v)
{
  p = cm_scaled_put (p, v, 2);
  *p = ',';
  return p + 1;
}

/* An optional figure: empty when 0 (it does not apply). */
static inline char *
put_opt_fen (char *p, CmFen v)
{
  if (v == 0)
    {
      *p = ',';
      return p + 1;
    }
  return put_fen (p, v);
}

static G_NO_INLINE char *
put_opt_e4 (char *p, CmE4 v)
{
  if (v != 0)
    p = cm_scaled_put (p, v, 4);
  *p = ',';
  return p + 1;
}

/* The length of a scheme id, remembered: a policy has a handful. */
static inline gsize
id_len (const char **last, gsize *last_len, const char *id)
{
  if (id != *last)
    {
      *last = id;
      *last_len = strlen (id);
    }
  return *last_len;
}

static const char *
group_code (const CmGroupResult *g)
{
  return g->family == CM_SCHEME_FAMILY_DRG ? g->drg : g->group_id;
}

static const char *
price_process (gpointer worker, const CmEpisode *ep, GString *out,
               gpointer payload)
{
  PriceWorker *w = worker;
  RowFigures *f = payload;
  CmPricedCase pc;
  gboolean priced;
  const char *group, *shadow_group;
  gsize start, room, scheme_len, shadow_len, group_len, shadow_group_len;
  gsize priced_len, status_len, ep_id_len;
  const char *weight_at, *score_at, *standard_at;
  gsize weight_len, score_len, standard_len;
  char *p;

  if (!cm_price_episode (w->ctx, ep, &pc, NULL))
    f->overflow = TRUE;
  group = *pc.scheme_id ? group_code (&pc.group) : "";
  shadow_group = *pc.shadow_scheme_id ? group_code (&pc.shadow) : "";

  scheme_len = id_len (&w->scheme, &w->scheme_len, pc.scheme_id);
  shadow_len = id_len (&w->shadow, &w->shadow_len, pc.shadow_scheme_id);
  group_len = strlen (group);
  shadow_group_len = *shadow_group ? strlen (shadow_group) : 0;
  priced_len = *pc.priced_group ? strlen (pc.priced_group) : 0;
  status_len = w->job->detail ? strlen (pc.group.status) : 0;

  /* the reader checked the id against [A-Za-z0-9_.-]{1,40} (episodes
   * FORMAT.md §2, the only input price takes): it never needs quoting */
  ep_id_len = strlen (ep->episode_id);
  start = out->len;
  room = ROW_FIXED + ep_id_len + scheme_len + group_len + shadow_len + shadow_group_len
         + priced_len + status_len;
  if (out->allocated_len <= start + room)
    g_string_set_size (out, start + room);  /* grows the buffer */
  p = out->str + start;
  copy_short (p, ep->episode_id, ep_id_len);
  p += ep_id_len;
  *p++ = ',';
  p = put_strn (p, pc.scheme_id, scheme_len);
  p = put_strn (p, group, group_len);
  p = put_strn (p, pc.shadow_scheme_id, shadow_len);
  p = put_strn (p, shadow_group, shadow_group_len);
  p = put_strn (p, w->job->method_name[pc.method], w->job->method_len[pc.method]);
  p = put_strn (p, w->job->class_name[pc.case_class], w->job->class_len[pc.case_class]);
  p = put_strn (p, pc.review ? "1" : "0", 1);
  p = put_strn (p, pc.priced_group, priced_len);
  /* a figure equal to the one before (case score = score of a normal
   * case, pay = standard) copies its text instead of rendering it again */
  weight_at = p;
  p = put_opt_e4 (p, pc.weight_e4);
  weight_len = (gsize) (p - weight_at);
  p = put_opt_e4 (p, pc.coefficient_e4);
  score_at = p;
  if (pc.case_score_e4 == pc.weight_e4)
    {
      copy_short (p, weight_at, weight_len);
      p += weight_len;
    }
  else
    p = put_opt_e4 (p, pc.case_score_e4);
  score_len = (gsize) (p - score_at);
  if (pc.points_e4 == pc.case_score_e4)
    {
      copy_short (p, score_at, score_len);
      p += score_len;
    }
  else
    p = put_opt_e4 (p, pc.points_e4);
  standard_at = p;
  p = put_opt_fen (p, pc.standard_fen);
  standard_len = (gsize) (p - standard_at);
  priced = pc.method != CM_PAY_METHOD_EXCLUDED;
  if (priced)
    {
      if (pc.pay_fen == pc.standard_fen && pc.standard_fen != 0)
        {
          copy_short (p, standard_at, standard_len);
          p += standard_len;
        }
      else
        p = put_fen (p, pc.pay_fen);
      p = put_fen (p, pc.fund_fen);
      p = put_fen (p, pc.profit_loss_fen);
    }
  else
    {
      memcpy (p, ",,,", 3);
      p += 3;
    }
  if (w->job->detail)
    {
      p = put_strn (p, pc.group.status, status_len);
      p = put_int (p, pc.year);
      p = put_int (p, pc.level);
      if (pc.insurance == CM_INSURANCE_EMPLOYEE)
        p = put_strn (p, "employee", 8);
      else if (pc.insurance == CM_INSURANCE_RESIDENT)
        p = put_strn (p, "resident", 8);
      else
        *p++ = ',';
      p = put_int (p, pc.los_days);
      if (pc.method == CM_PAY_METHOD_PER_DIEM)
        p = put_int (p, pc.paid_days);
      else
        *p++ = ',';
      p = put_opt_fen (p, pc.rate_fen);
      p = put_opt_e4 (p, pc.point_value_e4);
      p = put_opt_e4 (p, pc.ratio_e4);
      p = put_opt_fen (p, pc.reference_fen);
      p = put_fen (p, pc.cost_fen);
      if (priced)
        {
          p = put_fen (p, pc.patient_fen);
          p = put_fen (p, pc.other_fen);
          p = put_fen (p, pc.hospital_income_fen);
        }
      else
        {
          memcpy (p, ",,,", 3);
          p += 3;
        }
    }
  p[-1] = '\n';
  g_assert ((gsize) (p - (out->str + start)) <= room);
  /* the row is in place: set the length (the buffer has room) */
  out->len = (gsize) (p - out->str);
  out->str[out->len] = '\0';

  f->method = pc.method;
  f->priced = priced;
  f->cost = pc.cost_fen;
  f->pay = pc.pay_fen;
  f->fund = pc.fund_fen;
  f->patient = pc.patient_fen;
  f->profit_loss = pc.profit_loss_fen;
  return w->job->class_name[pc.case_class];
}

static void
print_summary (const char *input, const CmPolicy *policy, const PriceJob *job,
               const CmPipelineStats *st)
{
  fprintf (stderr,
           "casemix price: %s: policy %s (%s)%s: %" G_GUINT64_FORMAT " lines read, %"
           G_GUINT64_FORMAT " episodes priced, %" G_GUINT64_FORMAT " rejected, %"
           G_GUINT64_FORMAT " empty\n",
           input, cm_policy_get_region (policy), cm_policy_get_name (policy),
           cm_policy_is_illustrative (policy) ? " [illustrative figures]" : "",
           st->lines, st->accepted, st->rejected, st->empty);
  fprintf (stderr, "  %-10s %10s %18s %18s %18s %18s\n", "method", "cases", "cost",
           "pay", "fund", "profit_loss");
  for (guint m = 0; m < CM_PAY_METHOD_N; m++)
    {
      const Totals *t = &job->totals[m];
      char c[CM_MONEY_BUF], p[CM_MONEY_BUF], f[CM_MONEY_BUF], pl[CM_MONEY_BUF];

      if (t->n == 0)
        continue;
      cm_fen_format (t->cost, c);
      cm_fen_format (t->pay, p);
      cm_fen_format (t->fund, f);
      cm_fen_format (t->profit_loss, pl);
      fprintf (stderr, "  %-10s %10" G_GUINT64_FORMAT " %18s %18s %18s %18s\n",
               cm_pay_method_name (m), t->n, c, p, f, pl);
    }
  fprintf (stderr, "  classes:\n");
  for (guint i = 0; i < st->n_statuses; i++)
    fprintf (stderr, "    %-20s %" G_GUINT64_FORMAT "\n", st->status[i],
             st->status_count[i]);
  if (job->overflow > 0)
    fprintf (stderr, "  %" G_GUINT64_FORMAT " episodes with amounts too large to "
             "price (class overflow)\n", job->overflow);
}

static char outbuf[1 << 20];

int
cm_cli_price (int argc, char **argv)
{
  g_autofree char *policy_arg = NULL;
  g_autofree char *stage = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *rejects_path = NULL;
  gboolean no_shadow = FALSE, quiet = FALSE, detail = FALSE;
  gint threads = 0;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "policy", 0, 0, G_OPTION_ARG_STRING, &policy_arg,
      "Policy pack: a shipped region (zhuzhou, yiyang), a folder or a policy.xml",
      "REGION" },
    { "stage", 0, 0, G_OPTION_ARG_STRING, &stage,
      "Point values and rates to use: provisional (default) or final", "STAGE" },
    { "detail", 0, 0, G_OPTION_ARG_NONE, &detail,
      "Add the inputs and intermediate figures (status, year, level, insurance, "
      "LOS, paid days, rate, point value, ratio, reference, cost, patient, other, "
      "hospital income)", NULL },
    { "no-shadow", 0, 0, G_OPTION_ARG_NONE, &no_shadow,
      "Do not group with the shadow scheme of a transition window", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "Write priced rows here (default: standard output)", "PRICED.csv" },
    { "rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects_path,
      "Write rejected lines (line,reason) here", "REJECTS.csv" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: number of cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      "[INPUT.csv | -]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("[INPUT.csv | -]");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmPriceContext) probe = NULL;
  CmPipelineOptions popt = { 0 };
  CmPipelineOps ops = { .worker_new = price_worker_new,
                        .worker_free = price_worker_free,
                        .payload_size = sizeof (RowFigures),
                        .process_payload = price_process,
                        .written = price_written };
  CmPipelineStats stats;
  CmCliBatchIo io;
  PriceJob job = { 0 };
  const char *input = "-";
  int fd = 0;
  FILE *out = stdout, *rej = NULL;
  gboolean ok;

  g_option_context_set_summary (oc,
    "Price episodes under a regional payment policy: the scheme in force on each\n"
    "discharge date groups the episode; the year's parameters give the payment\n"
    "method, case class, weight or score, standard, case payment, fund share and\n"
    "hospital profit/loss (yuan, two decimals). See docs/payment.md.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("price: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (policy_arg == NULL)
    {
      cm_cli_error ("price: --policy is required");
      return CM_EXIT_USAGE;
    }
  if (rest != NULL && g_strv_length (rest) > 1)
    {
      cm_cli_error ("price: one input file at most");
      return CM_EXIT_USAGE;
    }
  if (rest != NULL && rest[0] != NULL)
    input = rest[0];
  if (stage == NULL || strcmp (stage, "provisional") == 0)
    job.options.stage = CM_PRICE_STAGE_PROVISIONAL;
  else if (strcmp (stage, "final") == 0)
    job.options.stage = CM_PRICE_STAGE_FINAL;
  else
    {
      cm_cli_error ("price: --stage must be provisional or final, not '%s'", stage);
      return CM_EXIT_USAGE;
    }
  job.options.no_shadow = no_shadow;
  job.detail = detail;
  for (guint m = 0; m < CM_PAY_METHOD_N; m++)
    {
      job.method_name[m] = cm_pay_method_name (m);
      job.method_len[m] = (guint8) strlen (job.method_name[m]);
    }
  for (guint c = 0; c < CM_CASE_N; c++)
    {
      job.class_name[c] = cm_case_class_name (c);
      job.class_len[c] = (guint8) strlen (job.class_name[c]);
    }
  if (threads < 0)
    {
      cm_cli_error ("price: --threads must be 0 or more");
      return CM_EXIT_USAGE;
    }

  policy = cm_policy_load (policy_arg, &error);
  if (policy == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  probe = cm_price_context_new (policy, &job.options, &error);
  if (probe == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  g_clear_pointer (&probe, cm_price_context_free);
  job.policy = policy;
  g_mutex_init (&job.lock);

  if (cm_cli_batch_open (&io, input, out_path, rejects_path, outbuf,
                         sizeof outbuf) != CM_EXIT_OK)
    return CM_EXIT_FAILURE;
  out = io.out;
  rej = io.rejects;
  fd = io.fd;

  fputs (detail ? PRICE_HEADER PRICE_DETAIL_HEADER "\n" : PRICE_HEADER "\n", out);
  popt.format = CM_INPUT_EPISODES;
  popt.n_threads = (guint) threads;
  popt.input_name = input;
  ok = cm_pipeline_run (fd, &popt, &ops, &job, out, rej, &stats, &error);
  if (!cm_cli_batch_close (&io))
    ok = FALSE;
  g_mutex_clear (&job.lock);
  if (!ok)
    {
      if (error)
        cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  if (!quiet)
    print_summary (input, policy, &job, &stats);
  return CM_EXIT_OK;
}
