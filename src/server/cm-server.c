/* cm-server.c — the HTTP grouping service.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design note. N worker threads each run a GMainContext with one
 * SoupServer listening on its own socket; all sockets are bound to the
 * same address and port with SO_REUSEPORT, so the kernel spreads the
 * connections and no request crosses a thread. A worker owns everything
 * mutable it needs (a grouping context per scheme, a pricing context, a
 * JSON parser, an episode holder, traces, output buffers); the schemes
 * and the policy are immutable and shared. The single-episode path
 * allocates only what json-glib and libsoup allocate per message.
 *
 * Limits are checked as early as possible: the bearer token and the
 * declared body size in an early handler, before the body is read (a body
 * without Content-Length is refused with 411, so no body is ever read
 * without a known bound); the batch size before any episode is grouped;
 * the time limit between batch slices.
 *
 * A batch is answered with NDJSON, streamed in chunked encoding: one slice
 * of episodes per chunk, the next slice computed only when the previous
 * chunk has been written (back-pressure: a slow client cannot make the
 * server buffer the whole answer), the main loop serving other
 * connections in between.
 *
 * Graceful stop: cm_server_stop() marks the server stopping (responses
 * then carry `Connection: close`), waits until no request is in flight
 * (or the time limit passes) and closes every worker's listener and loop.
 *
 * The access log has one JSON line per request: time, peer address,
 * method, path, status, duration, sizes, the episode id, scheme and group
 * — ids and codes only, never a field of the episode beyond its id. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include "cm-server.h"
#include "cm-trace.h"
#include "cm-explain.h"
#include "cm-episode-input.h"
#include "cm-price.h"
#include "cm-money.h"

#define MAX_THREADS 16
#define BATCH_SLICE 256
#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_BATCH_BYTES (64 * 1024 * 1024)
#define DEFAULT_MAX_BATCH_EPISODES 100000
#define DEFAULT_TIME_LIMIT_MS 60000

typedef struct _Worker Worker;

struct _CmServer {
  CmServerOptions opt;
  char *bind_address;
  char *token;
  GPtrArray *schemes;          /* CmScheme */
  CmPolicy *policy;
  GPtrArray *workers;          /* Worker */
  guint port;
  gint64 started_us;
  gint stopping;               /* atomic */
  GMutex lock;
  GCond cond;
  guint n_ready;
  GError *start_error;
  gboolean started;
  GThread *stopper;
  GMutex log_lock;
};

struct _Worker {
  CmServer *server;
  guint index;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *soup;
  GSocket *socket;
  CmGroupContext **ctx;        /* one per scheme */
  CmPriceContext *price;
  CmEpisodeInput *input;
  CmTrace *trace;
  CmTrace *why;
  JsonParser *parser;
  GString *out;
  GString *log;
  gint in_flight;              /* atomic: requests started, not finalised */
};

/* What the access log says about one request (attached to the message). */
typedef struct {
  Worker *w;
  gint64 start_us;
  gboolean logged;
  guint n_episodes;
  char episode_id[48];
  char scheme[64];
  char group[32];
  char error[32];
} ReqInfo;

static GQuark req_quark;

G_DEFINE_QUARK (cm-server-error-quark, cm_server_error)

/* --- small helpers ------------------------------------------------------- */

static void
json_key (GString *o, const char *key)
{
  cm_json_append_string (o, key);
  g_string_append_c (o, ':');
}

static void
json_str_member (GString *o, const char *key, const char *value)
{
  g_string_append_c (o, ',');
  json_key (o, key);
  cm_json_append_string (o, value);
}

static void
json_fen_member (GString *o, const char *key, CmFen fen)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (fen, buf);
  json_str_member (o, key, buf);
}

static void
json_e4_member (GString *o, const char *key, CmE4 v)
{
  char buf[CM_MONEY_BUF];
  cm_e4_format (v, buf);
  json_str_member (o, key, buf);
}

static ReqInfo *
req_info (SoupServerMessage *msg)
{
  return g_object_get_qdata (G_OBJECT (msg), req_quark);
}

static void
copy_field (char *dst, gsize size, const char *src)
{
  g_strlcpy (dst, src ? src : "", size);
}

static const char *
group_code (const CmGroupResult *r)
{
  return r->family == CM_SCHEME_FAMILY_DRG ? r->drg : r->group_id;
}

/* --- responses ----------------------------------------------------------- */

static void
respond (Worker *w, SoupServerMessage *msg, guint status, const char *type,
         const GString *body)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body->str,
                                    body->len);
  if (g_atomic_int_get (&w->server->stopping))
    soup_message_headers_replace (h, "Connection", "close");
}

static void G_GNUC_PRINTF (6, 7)
respond_error (Worker *w, SoupServerMessage *msg, guint status,
               const char *code, const char *field, const char *format, ...)
{
  g_autoptr (GString) o = g_string_sized_new (256);
  g_autofree char *message = NULL;
  ReqInfo *ri = req_info (msg);
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_string_append_printf (o, "{\"error\":{\"status\":%u,\"code\":", status);
  cm_json_append_string (o, code);
  if (field != NULL && *field != '\0')
    json_str_member (o, "field", field);
  json_str_member (o, "message", message);
  g_string_append (o, "}}");
  if (ri != NULL)
    copy_field (ri->error, sizeof ri->error, code);
  respond (w, msg, status, "application/json", o);
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"casemix\"");
}

/* --- access log ---------------------------------------------------------- */

static void
log_request (Worker *w, SoupServerMessage *msg, ReqInfo *ri, gboolean aborted)
{
  CmServer *s = w->server;
  GString *o = w->log;
  struct timespec ts;
  struct tm tm;
  GUri *uri;
  char when[32];
  const char *remote;
  SoupMessageBody *req = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);
  goffset out_len = soup_message_headers_get_content_length (rh);

  if (s->opt.access_log == NULL || ri->logged)
    return;
  ri->logged = TRUE;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  uri = soup_server_message_get_uri (msg);
  remote = soup_server_message_get_remote_host (msg);

  g_string_truncate (o, 0);
  g_string_append_printf (o, "{\"ts\":\"%s.%03ldZ\"", when, ts.tv_nsec / 1000000);
  json_str_member (o, "remote", remote ? remote : "");
  json_str_member (o, "method", soup_server_message_get_method (msg));
  json_str_member (o, "path", uri ? g_uri_get_path (uri) : "");
  g_string_append_printf (o, ",\"status\":%u,\"us\":%" G_GINT64_FORMAT
                          ",\"bytes_in\":%" G_GINT64_FORMAT,
                          aborted ? 0 : soup_server_message_get_status (msg),
                          g_get_monotonic_time () - ri->start_us,
                          req ? (gint64) req->length : 0);
  if (out_len > 0)
    g_string_append_printf (o, ",\"bytes_out\":%" G_GINT64_FORMAT, (gint64) out_len);
  if (ri->episode_id[0])
    json_str_member (o, "episode_id", ri->episode_id);
  if (ri->scheme[0])
    json_str_member (o, "scheme", ri->scheme);
  if (ri->group[0])
    json_str_member (o, "group", ri->group);
  if (ri->n_episodes)
    g_string_append_printf (o, ",\"episodes\":%u", ri->n_episodes);
  if (ri->error[0])
    json_str_member (o, "error", ri->error);
  if (aborted)
    g_string_append (o, ",\"aborted\":true");
  g_string_append (o, "}\n");
  g_mutex_lock (&s->log_lock);
  fwrite (o->str, 1, o->len, s->opt.access_log);
  fflush (s->opt.access_log);
  g_mutex_unlock (&s->log_lock);
}

static void
req_info_free (gpointer p)
{
  ReqInfo *ri = p;
  g_atomic_int_add (&ri->w->in_flight, -1);
  g_free (ri);
}

static void
on_request_started (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  Worker *w = data;
  ReqInfo *ri = g_new0 (ReqInfo, 1);

  ri->w = w;
  ri->start_us = g_get_monotonic_time ();
  g_atomic_int_inc (&w->in_flight);
  g_object_set_qdata_full (G_OBJECT (msg), req_quark, ri, req_info_free);
}

static void
on_request_finished (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  ReqInfo *ri = req_info (msg);
  if (ri != NULL)
    log_request (data, msg, ri, FALSE);
}

static void
on_request_aborted (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  ReqInfo *ri = req_info (msg);
  if (ri != NULL)
    log_request (data, msg, ri, TRUE);
}

/* --- one episode --------------------------------------------------------- */

static void
payment_json (const CmPolicy *policy, const CmPricedCase *pc, GString *o)
{
  g_string_append (o, "{\"policy\":");
  cm_json_append_string (o, cm_policy_get_region (policy));
  json_str_member (o, "scheme", pc->scheme_id);
  json_str_member (o, "group", *pc->scheme_id ? group_code (&pc->group) : "");
  json_str_member (o, "method", cm_pay_method_name (pc->method));
  json_str_member (o, "case_class", cm_case_class_name (pc->case_class));
  g_string_append_printf (o, ",\"review\":%s", pc->review ? "true" : "false");
  if (cm_policy_is_illustrative (policy))
    g_string_append (o, ",\"illustrative\":true");
  if (*pc->shadow_scheme_id)
    {
      json_str_member (o, "shadow_scheme", pc->shadow_scheme_id);
      json_str_member (o, "shadow_group", group_code (&pc->shadow));
    }
  g_string_append_printf (o, ",\"year\":%d,\"level\":%d,\"los_days\":%d",
                          pc->year, pc->level, pc->los_days);
  if (pc->method == CM_PAY_METHOD_PER_DIEM)
    g_string_append_printf (o, ",\"paid_days\":%d,\"extra_days\":%d",
                            pc->paid_days, pc->extra_days);
  if (*pc->priced_group)
    json_str_member (o, "priced_group", pc->priced_group);
  /* optional figures: absent when they do not apply (0) */
  if (pc->weight_e4)
    json_e4_member (o, "weight", pc->weight_e4);
  if (pc->coefficient_e4)
    json_e4_member (o, "coefficient", pc->coefficient_e4);
  if (pc->rate_fen)
    json_fen_member (o, "rate", pc->rate_fen);
  if (pc->point_value_e4)
    json_e4_member (o, "point_value", pc->point_value_e4);
  if (pc->case_score_e4)
    json_e4_member (o, "case_score", pc->case_score_e4);
  if (pc->points_e4)
    json_e4_member (o, "points", pc->points_e4);
  if (pc->ratio_e4)
    json_e4_member (o, "ratio", pc->ratio_e4);
  if (pc->standard_fen)
    json_fen_member (o, "standard", pc->standard_fen);
  if (pc->reference_fen)
    json_fen_member (o, "reference", pc->reference_fen);
  json_fen_member (o, "cost", pc->cost_fen);
  if (pc->method != CM_PAY_METHOD_EXCLUDED)
    {
      json_fen_member (o, "pay", pc->pay_fen);
      if (pc->extra_days_fen)
        json_fen_member (o, "extra_days_pay", pc->extra_days_fen);
      json_fen_member (o, "patient", pc->patient_fen);
      json_fen_member (o, "other_payers", pc->other_fen);
      json_fen_member (o, "fund", pc->fund_fen);
      json_fen_member (o, "hospital_income", pc->hospital_income_fen);
      json_fen_member (o, "profit_loss", pc->profit_loss_fen);
    }
  g_string_append_c (o, '}');
}

/* Groups (and prices) the episode held by w->input and appends its result
 * members (no braces) to @o. */
static void
episode_members (Worker *w, guint scheme_index, gboolean trace,
                 const char *why_not, GString *o, ReqInfo *ri,
                 GError **why_error)
{
  CmServer *s = w->server;
  const CmEpisode *ep = cm_episode_input_get_episode (w->input);
  CmGroupContext *ctx = w->ctx[scheme_index];
  CmScheme *scheme = g_ptr_array_index (s->schemes, scheme_index);
  CmGroupResult res;

  if (why_not != NULL)
    {
      if (!cm_explain_why_not (ctx, ep, 0, why_not, w->why, why_error))
        return;
    }
  if (trace)
    cm_group_traced (ctx, ep, 0, w->trace, &res);
  else
    cm_group (ctx, ep, 0, &res);

  json_key (o, "episode_id");
  cm_json_append_string (o, ep->episode_id);
  json_str_member (o, "scheme", cm_scheme_get_id (scheme));
  g_string_append (o, ",\"result\":");
  cm_group_result_to_json (&res, o);
  if (s->policy != NULL && w->price != NULL)
    {
      CmPricedCase pc;
      g_autoptr (GError) error = NULL;
      if (!cm_price_episode (w->price, ep, &pc, &error))
        {
          g_string_append (o, ",\"payment\":{\"case_class\":\"overflow\"");
          json_str_member (o, "message", error ? error->message : "");
          g_string_append_c (o, '}');
        }
      else
        {
          g_string_append (o, ",\"payment\":");
          payment_json (s->policy, &pc, o);
        }
    }
  if (trace)
    {
      g_string_append (o, ",\"trace\":");
      cm_trace_to_json (w->trace, o);
    }
  if (why_not != NULL)
    {
      g_string_append (o, ",\"why_not\":");
      cm_trace_to_json (w->why, o);
    }
  if (ri != NULL)
    {
      copy_field (ri->episode_id, sizeof ri->episode_id, ep->episode_id);
      copy_field (ri->scheme, sizeof ri->scheme, cm_scheme_get_id (scheme));
      copy_field (ri->group, sizeof ri->group, group_code (&res));
    }
}

static gboolean
is_true (const char *v)
{
  return v != NULL && (strcmp (v, "1") == 0 || strcmp (v, "true") == 0
                       || strcmp (v, "yes") == 0);
}

/* The scheme a request names (NULL = the default); -1 when unknown. */
static int
find_scheme (CmServer *s, const char *id)
{
  if (id == NULL)
    return 0;
  for (guint i = 0; i < s->schemes->len; i++)
    if (strcmp (cm_scheme_get_id (g_ptr_array_index (s->schemes, i)), id) == 0)
      return (int) i;
  return -1;
}

static void
unknown_scheme (Worker *w, SoupServerMessage *msg, const char *field,
                const char *id)
{
  CmServer *s = w->server;
  g_autoptr (GString) known = g_string_new (NULL);

  for (guint i = 0; i < s->schemes->len; i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "",
                            cm_scheme_get_id (g_ptr_array_index (s->schemes, i)));
  respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_scheme", field,
                 "scheme '%s' is not loaded (loaded: %s)", id, known->str);
}

static gboolean
content_type_is (SoupServerMessage *msg, const char *want)
{
  const char *ct = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  return ct == NULL || g_ascii_strcasecmp (ct, want) == 0;
}

static void
handle_group (Worker *w, SoupServerMessage *msg, GHashTable *query)
{
  CmServer *s = w->server;
  ReqInfo *ri = req_info (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (GError) error = NULL;
  static const char *const extra[] = { "trace", "why_not", "scheme", NULL };
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;
  JsonObject *obj;
  JsonNode *node;
  gboolean trace = FALSE;
  const char *why_not = NULL, *scheme_id = NULL;
  int scheme_index;

  if (!content_type_is (msg, "application/json"))
    {
      respond_error (w, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                     NULL, "POST /v1/group takes application/json");
      return;
    }
  if (len > s->opt.max_body_bytes)
    {
      respond_error (w, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                     NULL, "the body has %zu bytes, more than the limit of %zu",
                     len, s->opt.max_body_bytes);
      return;
    }
  if (!json_parser_load_from_data (w->parser, data, (gssize) len, &error))
    {
      respond_error (w, msg, SOUP_STATUS_BAD_REQUEST, "malformed_json", NULL,
                     "%s", error->message);
      return;
    }
  root = json_parser_get_root (w->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      respond_error (w, msg, SOUP_STATUS_BAD_REQUEST, "not_an_object", NULL,
                     "the body must be one JSON object: the episode");
      return;
    }
  obj = json_node_get_object (root);

  /* options: the query, then the body's own members */
  if (query != NULL)
    {
      trace = is_true (g_hash_table_lookup (query, "trace"));
      why_not = g_hash_table_lookup (query, "why_not");
      scheme_id = g_hash_table_lookup (query, "scheme");
    }
  if ((node = json_object_get_member (obj, "trace")) != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_option",
                         "trace", "trace: not true or false");
          return;
        }
      trace = trace || json_node_get_boolean (node);
    }
  if ((node = json_object_get_member (obj, "why_not")) != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_option",
                         "why_not", "why_not: not a string (a DRG, ADRG, MDC or DIP group)");
          return;
        }
      why_not = json_node_get_string (node);
    }
  if ((node = json_object_get_member (obj, "scheme")) != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_option",
                         "scheme", "scheme: not a string");
          return;
        }
      scheme_id = json_node_get_string (node);
    }
  scheme_index = find_scheme (s, scheme_id);
  if (scheme_index < 0)
    {
      unknown_scheme (w, msg, "scheme", scheme_id);
      return;
    }

  if (!cm_episode_input_parse_json (w->input, obj, extra, &error))
    {
      respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_episode",
                     cm_episode_input_get_error_field (w->input), "%s",
                     error->message);
      return;
    }

  g_string_truncate (w->out, 0);
  g_string_append_c (w->out, '{');
  episode_members (w, (guint) scheme_index, trace, why_not, w->out, ri, &error);
  if (error != NULL)
    {
      respond_error (w, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_target",
                     "why_not", "%s", error->message);
      return;
    }
  g_string_append (w->out, "}\n");
  respond (w, msg, SOUP_STATUS_OK, "application/json", w->out);
}

/* --- batches ------------------------------------------------------------- */

typedef struct {
  Worker *w;
  SoupServerMessage *msg;
  guint scheme_index;
  gboolean json;
  JsonParser *parser;          /* JSON: the array */
  JsonArray *array;
  GBytes *bytes;               /* CSV: the body */
  const char *p, *end;
  guint64 line_no;
  gboolean header_done;
  guint index;                 /* next episode */
  guint n;                     /* episodes in the batch */
  guint ok, errors;
  gint64 start_us;
  guint idle_id;
  gulong wrote_id, finished_id;
  gboolean done;
} Batch;

static void
batch_free (Batch *b)
{
  if (b->idle_id)
    g_source_remove (b->idle_id);
  if (b->wrote_id)
    g_signal_handler_disconnect (b->msg, b->wrote_id);
  if (b->finished_id)
    g_signal_handler_disconnect (b->msg, b->finished_id);
  g_clear_object (&b->parser);
  g_clear_pointer (&b->bytes, g_bytes_unref);
  g_object_unref (b->msg);
  g_free (b);
}

static void
batch_error_line (GString *o, guint index, guint64 line, const char *code,
                  const char *field, const char *message)
{
  g_string_append_printf (o, "{\"index\":%u", index);
  if (line > 0)
    g_string_append_printf (o, ",\"line\":%" G_GUINT64_FORMAT, line);
  g_string_append (o, ",\"error\":{\"code\":");
  cm_json_append_string (o, code);
  if (field != NULL && *field)
    json_str_member (o, "field", field);
  json_str_member (o, "message", message);
  g_string_append (o, "}}\n");
}

/* The next CSV line with text, or NULL at the end. */
static const char *
next_csv_line (Batch *b, gsize *len)
{
  while (b->p < b->end)
    {
      const char *start = b->p;
      const char *nl = memchr (start, '\n', (gsize) (b->end - start));
      gsize l = (gsize) ((nl ? nl : b->end) - start);

      b->p = nl ? nl + 1 : b->end;
      b->line_no++;
      if (l > 0 && start[l - 1] == '\r')
        l--;
      if (l == 0)
        continue;
      if (!b->header_done)
        {
          b->header_done = TRUE;
          if (l >= 11 && (memcmp (start, "episode_id,", 11) == 0
                          || memcmp (start, "\"episode_id\",", 13) == 0))
            continue;
        }
      *len = l;
      return start;
    }
  return NULL;
}

/* Groups one slice; returns TRUE when the batch is complete. */
static gboolean
batch_slice (Batch *b)
{
  Worker *w = b->w;
  CmServer *s = w->server;
  GString *o = g_string_sized_new (BATCH_SLICE * 160);
  SoupMessageBody *body = soup_server_message_get_response_body (b->msg);
  guint done = 0;
  gboolean complete = FALSE, timed_out = FALSE;

  while (done < BATCH_SLICE)
    {
      g_autoptr (GError) error = NULL;
      gboolean parsed;
      guint64 line = 0;

      if (b->json)
        {
          JsonNode *el;
          if (b->index >= b->n)
            {
              complete = TRUE;
              break;
            }
          el = json_array_get_element (b->array, b->index);
          if (!JSON_NODE_HOLDS_OBJECT (el))
            {
              batch_error_line (o, b->index, 0, "not_an_object", NULL,
                                "a batch element must be an episode object");
              b->errors++;
              b->index++;
              done++;
              continue;
            }
          parsed = cm_episode_input_parse_json (w->input, json_node_get_object (el),
                                                NULL, &error);
        }
      else
        {
          gsize len = 0;
          const char *l = next_csv_line (b, &len);
          if (l == NULL)
            {
              complete = TRUE;
              break;
            }
          line = b->line_no;
          parsed = cm_episode_input_parse_csv_line (w->input, l, len, &error);
        }
      if (!parsed)
        {
          batch_error_line (o, b->index, line, "invalid_episode",
                            cm_episode_input_get_error_field (w->input),
                            error->message);
          b->errors++;
        }
      else
        {
          g_string_append_printf (o, "{\"index\":%u,", b->index);
          if (line > 0)
            g_string_append_printf (o, "\"line\":%" G_GUINT64_FORMAT ",", line);
          episode_members (w, b->scheme_index, FALSE, NULL, o, NULL, NULL);
          g_string_append (o, "}\n");
          b->ok++;
        }
      b->index++;
      done++;
    }
  if (!complete
      && g_get_monotonic_time () - b->start_us > (gint64) s->opt.time_limit_ms * 1000)
    timed_out = TRUE;
  if (complete || timed_out)
    {
      g_string_append_printf (o, "{\"summary\":{\"episodes\":%u,\"grouped\":%u,"
                              "\"errors\":%u,\"complete\":%s", b->index, b->ok,
                              b->errors, complete ? "true" : "false");
      if (timed_out)
        g_string_append_printf (o, ",\"error\":{\"code\":\"time_limit\",\"message\":"
                                "\"the batch took longer than %u ms; episodes from "
                                "index %u on were not grouped\"}",
                                s->opt.time_limit_ms, b->index);
      g_string_append (o, "}}\n");
      req_info (b->msg)->n_episodes = b->index;
    }
  soup_message_body_append_take (body, (guchar *) o->str, o->len);
  g_string_free (o, FALSE);
  if (complete || timed_out)
    {
      soup_message_body_complete (body);
      b->done = TRUE;
    }
  soup_server_message_unpause (b->msg);
  return b->done;
}

static gboolean
batch_idle (gpointer data)
{
  Batch *b = data;
  b->idle_id = 0;
  batch_slice (b);
  return G_SOURCE_REMOVE;
}

static void
on_batch_wrote_chunk (SoupServerMessage *msg, gpointer data)
{
  Batch *b = data;

  /* back-pressure: the next slice once the previous one is on the wire */
  if (!b->done && b->idle_id == 0)
    {
      GSource *src = g_idle_source_new ();
      g_source_set_callback (src, batch_idle, b, NULL);
      b->idle_id = g_source_attach (src, b->w->context);
      g_source_unref (src);
    }
}

static void
on_batch_finished (SoupServerMessage *msg, gpointer data)
{
  batch_free (data);
}

static void
handle_batch (Worker *w, SoupServerMessage *msg, GHashTable *query)
{
  CmServer *s = w->server;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  const char *ct = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  const char *scheme_id = query ? g_hash_table_lookup (query, "scheme") : NULL;
  int scheme_index = find_scheme (s, scheme_id);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  Batch *b;
  SoupMessageHeaders *h;

  if (scheme_index < 0)
    {
      unknown_scheme (w, msg, "scheme", scheme_id);
      return;
    }
  if (len > s->opt.max_batch_bytes)
    {
      respond_error (w, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                     NULL, "the body has %zu bytes, more than the limit of %zu",
                     len, s->opt.max_batch_bytes);
      return;
    }
  b = g_new0 (Batch, 1);
  b->w = w;
  b->msg = g_object_ref (msg);
  b->scheme_index = (guint) scheme_index;
  b->start_us = g_get_monotonic_time ();
  if (ct == NULL || g_ascii_strcasecmp (ct, "application/json") == 0)
    {
      g_autoptr (GError) error = NULL;
      JsonNode *root;

      b->json = TRUE;
      b->parser = json_parser_new_immutable ();
      if (!json_parser_load_from_data (b->parser, data, (gssize) len, &error))
        {
          respond_error (w, msg, SOUP_STATUS_BAD_REQUEST, "malformed_json", NULL,
                         "%s", error->message);
          batch_free (b);
          return;
        }
      root = json_parser_get_root (b->parser);
      if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
        {
          respond_error (w, msg, SOUP_STATUS_BAD_REQUEST, "not_an_array", NULL,
                         "a JSON batch is an array of episode objects");
          batch_free (b);
          return;
        }
      b->array = json_node_get_array (root);
      b->n = json_array_get_length (b->array);
    }
  else if (g_ascii_strcasecmp (ct, "text/csv") == 0)
    {
      b->bytes = g_bytes_ref (bytes);
      b->p = data;
      b->end = data + len;
      if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
        b->p += 3;
      /* lines with text (an upper bound of the episodes) */
      for (const char *p = b->p; p < b->end;)
        {
          const char *nl = memchr (p, '\n', (gsize) (b->end - p));
          if ((nl ? nl : b->end) > p && !(nl == p + 1 && *p == '\r'))
            b->n++;
          p = nl ? nl + 1 : b->end;
        }
      if (b->n > 0)
        b->n--;  /* the header line, when there is one */
    }
  else
    {
      respond_error (w, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                     NULL, "POST /v1/group:batch takes application/json (an array) "
                     "or text/csv (episode lines)");
      batch_free (b);
      return;
    }
  if (b->n > s->opt.max_batch_episodes)
    {
      respond_error (w, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "batch_too_large",
                     NULL, "%u episodes, more than the limit of %u per batch",
                     b->n, s->opt.max_batch_episodes);
      batch_free (b);
      return;
    }

  h = soup_server_message_get_response_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (h, "application/x-ndjson", NULL);
  if (g_atomic_int_get (&s->stopping))
    soup_message_headers_replace (h, "Connection", "close");
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  b->wrote_id = g_signal_connect (msg, "wrote-chunk",
                                  G_CALLBACK (on_batch_wrote_chunk), b);
  b->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_batch_finished), b);
  batch_slice (b);
}

/* --- the other endpoints ------------------------------------------------- */

static void
handle_schemes (Worker *w, SoupServerMessage *msg)
{
  CmServer *s = w->server;
  g_autoptr (GString) o = g_string_new ("{\"schemes\":[");

  for (guint i = 0; i < s->schemes->len; i++)
    {
      CmScheme *scheme = g_ptr_array_index (s->schemes, i);
      if (i > 0)
        g_string_append_c (o, ',');
      g_string_append (o, "{\"id\":");
      cm_json_append_string (o, cm_scheme_get_id (scheme));
      json_str_member (o, "family", cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG
                                    ? "DRG" : "DIP");
      g_string_append_printf (o, ",\"default\":%s}", i == 0 ? "true" : "false");
    }
  g_string_append (o, "],\"policy\":");
  if (s->policy != NULL)
    {
      g_string_append (o, "{\"region\":");
      cm_json_append_string (o, cm_policy_get_region (s->policy));
      json_str_member (o, "name", cm_policy_get_name (s->policy));
      g_string_append_printf (o, ",\"illustrative\":%s}",
                              cm_policy_is_illustrative (s->policy) ? "true" : "false");
    }
  else
    g_string_append (o, "null");
  g_string_append (o, "}\n");
  respond (w, msg, SOUP_STATUS_OK, "application/json", o);
}

static void
handle_health (Worker *w, SoupServerMessage *msg)
{
  CmServer *s = w->server;
  g_autoptr (GString) o = g_string_new (NULL);

  g_string_printf (o, "{\"status\":\"%s\",\"version\":\"%s\",\"uptime_seconds\":%"
                   G_GINT64_FORMAT ",\"threads\":%u,\"schemes\":%u,\"policy\":%s}\n",
                   g_atomic_int_get (&s->stopping) ? "stopping" : "ok", CM_VERSION,
                   (g_get_monotonic_time () - s->started_us) / G_USEC_PER_SEC,
                   s->workers->len, s->schemes->len, s->policy ? "true" : "false");
  respond (w, msg, SOUP_STATUS_OK, "application/json", o);
}

static const struct {
  const char *path;
  const char *method;
} routes[] = {
  { "/v1/group", "POST" },
  { "/v1/group:batch", "POST" },
  { "/v1/schemes", "GET" },
  { "/v1/health", "GET" },
};

/* The route index of @path, -1 when none. */
static int
route_of (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (strcmp (path, routes[i].path) == 0)
      return (int) i;
  return -1;
}

/* Constant-time comparison of the bearer token. */
static gboolean
authorized (CmServer *s, SoupServerMessage *msg)
{
  const char *h = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "Authorization");
  gsize n, m;
  guint diff = 0;

  if (s->token == NULL)
    return TRUE;
  if (h == NULL || g_ascii_strncasecmp (h, "Bearer ", 7) != 0)
    return FALSE;
  h += 7;
  n = strlen (h);
  m = strlen (s->token);
  diff = n != m;
  for (gsize i = 0; i < m; i++)
    diff |= (guint) (guchar) s->token[i] ^ (guint) (guchar) (i < n ? h[i] : 0);
  return diff == 0;
}

/* After the headers, before the body: route, method, token, body size. */
static void
early_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer data)
{
  Worker *w = data;
  CmServer *s = w->server;
  int r = route_of (path);
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *rq = soup_server_message_get_request_headers (msg);
  goffset declared;

  if (r < 0)
    {
      respond_error (w, msg, SOUP_STATUS_NOT_FOUND, "not_found", NULL,
                     "no endpoint %s (see docs/api.md)", path);
      return;
    }
  if (strcmp (method, routes[r].method) != 0)
    {
      respond_error (w, msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     NULL, "%s takes %s", path, routes[r].method);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", routes[r].method);
      return;
    }
  if (strcmp (path, "/v1/health") != 0 && !authorized (s, msg))
    {
      respond_error (w, msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", NULL,
                     "a valid bearer token is required (Authorization: Bearer …)");
      return;
    }
  if (strcmp (method, "POST") != 0)
    return;
  if (soup_message_headers_get_encoding (rq) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      respond_error (w, msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required", NULL,
                     "a request body needs a Content-Length");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      return;
    }
  declared = soup_message_headers_get_content_length (rq);
  if ((gsize) declared > (r == 1 ? s->opt.max_batch_bytes : s->opt.max_body_bytes))
    {
      respond_error (w, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                     NULL, "the body has %" G_GINT64_FORMAT " bytes, more than the "
                     "limit of %zu", (gint64) declared,
                     r == 1 ? s->opt.max_batch_bytes : s->opt.max_body_bytes);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      return;
    }
}

static void
handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
         GHashTable *query, gpointer data)
{
  Worker *w = data;

  switch (route_of (path))
    {
    case 0:
      handle_group (w, msg, query);
      break;
    case 1:
      handle_batch (w, msg, query);
      break;
    case 2:
      handle_schemes (w, msg);
      break;
    case 3:
      handle_health (w, msg);
      break;
    default:
      respond_error (w, msg, SOUP_STATUS_NOT_FOUND, "not_found", NULL,
                     "no endpoint %s (see docs/api.md)", path);
      break;
    }
}

/* --- workers ------------------------------------------------------------- */

static void
worker_free (gpointer p)
{
  Worker *w = p;
  CmServer *s = w->server;

  if (w->ctx != NULL)
    for (guint i = 0; i < s->schemes->len; i++)
      cm_group_context_free (w->ctx[i]);
  g_free (w->ctx);
  g_clear_pointer (&w->price, cm_price_context_free);
  g_clear_pointer (&w->input, cm_episode_input_free);
  g_clear_pointer (&w->trace, cm_trace_free);
  g_clear_pointer (&w->why, cm_trace_free);
  g_clear_object (&w->parser);
  g_clear_object (&w->socket);
  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_clear_pointer (&w->context, g_main_context_unref);
  if (w->out)
    g_string_free (w->out, TRUE);
  if (w->log)
    g_string_free (w->log, TRUE);
  g_free (w);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  CmServer *s = w->server;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (w->context);
  w->soup = soup_server_new ("server-header", "casemix/" CM_VERSION " ", NULL);
  soup_server_add_early_handler (w->soup, NULL, early_handler, w, NULL);
  soup_server_add_handler (w->soup, NULL, handler, w, NULL);
  g_signal_connect (w->soup, "request-started", G_CALLBACK (on_request_started), w);
  g_signal_connect (w->soup, "request-finished", G_CALLBACK (on_request_finished), w);
  g_signal_connect (w->soup, "request-aborted", G_CALLBACK (on_request_aborted), w);
  ok = soup_server_listen_socket (w->soup, w->socket, 0, &error);

  g_mutex_lock (&s->lock);
  if (!ok && s->start_error == NULL)
    s->start_error = g_steal_pointer (&error);
  s->n_ready++;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);

  if (ok)
    g_main_loop_run (w->loop);
  soup_server_disconnect (w->soup);
  g_clear_object (&w->soup);
  while (g_main_context_iteration (w->context, FALSE))
    ;
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

static GSocket *
listen_socket (const char *address, guint port, GError **error)
{
  g_autoptr (GInetAddress) ia = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  g_autoptr (GSocket) sock = NULL;

  ia = g_inet_address_new_from_string (strcmp (address, "localhost") == 0
                                       ? "127.0.0.1" : address);
  if (ia == NULL)
    {
      g_set_error (error, CM_SERVER_ERROR, CM_SERVER_ERROR_LISTEN,
                   "%s: not an IPv4 or IPv6 address", address);
      return NULL;
    }
  sock = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;
  sa = g_inet_socket_address_new (ia, (guint16) port);
  g_socket_set_listen_backlog (sock, 1024);
  /* bind(2) directly: g_socket_bind() clears SO_REUSEPORT on stream
   * sockets, and every worker's socket shares the port */
  {
    struct sockaddr_storage native;
    gssize len = g_socket_address_get_native_size (sa);
    int one = 1;
    int fd = g_socket_get_fd (sock);

    /* TCP_NODELAY is inherited by accepted sockets (Linux): responses go
     * out at once instead of waiting for the peer's delayed ACK */
    if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0
        || setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
        || len < 0 || !g_socket_address_to_native (sa, &native, sizeof native, error)
        || bind (fd, (struct sockaddr *) &native, (socklen_t) len) != 0)
      {
        int e = errno;
        if (error != NULL && *error == NULL)
          g_set_error (error, CM_SERVER_ERROR, CM_SERVER_ERROR_LISTEN,
                       "%s:%u: %s", address, port, g_strerror (e));
        return NULL;
      }
  }
  if (!g_socket_listen (sock, error))
    {
      g_prefix_error (error, "%s:%u: ", address, port);
      if (error && *error && (*error)->domain != CM_SERVER_ERROR)
        {
          GError *e = *error;
          *error = g_error_new_literal (CM_SERVER_ERROR, CM_SERVER_ERROR_LISTEN,
                                        e->message);
          g_error_free (e);
        }
      return NULL;
    }
  return g_steal_pointer (&sock);
}

/* --- the object ---------------------------------------------------------- */

CmServer *
cm_server_new (const CmServerOptions *options)
{
  CmServer *s = g_new0 (CmServer, 1);

  if (options != NULL)
    s->opt = *options;
  s->bind_address = g_strdup (s->opt.bind_address ? s->opt.bind_address : "127.0.0.1");
  s->token = s->opt.token && *s->opt.token ? g_strdup (s->opt.token) : NULL;
  s->opt.bind_address = s->bind_address;
  s->opt.token = s->token;
  if (s->opt.max_body_bytes == 0)
    s->opt.max_body_bytes = DEFAULT_MAX_BODY;
  if (s->opt.max_batch_bytes == 0)
    s->opt.max_batch_bytes = DEFAULT_MAX_BATCH_BYTES;
  if (s->opt.max_batch_episodes == 0)
    s->opt.max_batch_episodes = DEFAULT_MAX_BATCH_EPISODES;
  if (s->opt.time_limit_ms == 0)
    s->opt.time_limit_ms = DEFAULT_TIME_LIMIT_MS;
  if (s->opt.n_threads == 0)
    s->opt.n_threads = MIN (g_get_num_processors (), MAX_THREADS);
  s->opt.n_threads = MIN (s->opt.n_threads, MAX_THREADS);
  s->schemes = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_scheme_unref);
  s->workers = g_ptr_array_new_with_free_func (worker_free);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  g_mutex_init (&s->log_lock);
  if (req_quark == 0)
    req_quark = g_quark_from_static_string ("cm-server-request");
  return s;
}

void
cm_server_add_scheme (CmServer *s, CmScheme *scheme)
{
  g_return_if_fail (s != NULL && scheme != NULL && !s->started);
  g_ptr_array_add (s->schemes, cm_scheme_ref (scheme));
}

gboolean
cm_server_set_policy (CmServer *s, CmPolicy *policy, GError **error)
{
  g_return_val_if_fail (s != NULL && !s->started, FALSE);
  if (policy != NULL)
    {
      /* the policy can price with the default options: checked once here */
      g_autoptr (CmPriceContext) probe = cm_price_context_new (policy, NULL, error);
      if (probe == NULL)
        return FALSE;
    }
  g_clear_pointer (&s->policy, cm_policy_unref);
  s->policy = policy ? cm_policy_ref (policy) : NULL;
  return TRUE;
}

gboolean
cm_server_start (CmServer *s, GError **error)
{
  g_return_val_if_fail (s != NULL && !s->started, FALSE);
  g_return_val_if_fail (s->schemes->len > 0, FALSE);

  s->port = s->opt.port;
  for (guint i = 0; i < s->opt.n_threads; i++)
    {
      Worker *w = g_new0 (Worker, 1);

      w->server = s;
      w->index = i;
      g_ptr_array_add (s->workers, w);
      w->socket = listen_socket (s->bind_address, s->port, error);
      if (w->socket == NULL)
        return FALSE;
      if (s->port == 0)
        {
          g_autoptr (GSocketAddress) local = g_socket_get_local_address (w->socket, error);
          if (local == NULL)
            return FALSE;
          s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
        }
      w->context = g_main_context_new ();
      w->loop = g_main_loop_new (w->context, FALSE);
      w->ctx = g_new0 (CmGroupContext *, s->schemes->len);
      for (guint k = 0; k < s->schemes->len; k++)
        w->ctx[k] = cm_group_context_new (g_ptr_array_index (s->schemes, k));
      if (s->policy != NULL)
        {
          w->price = cm_price_context_new (s->policy, NULL, error);
          if (w->price == NULL)
            return FALSE;
        }
      w->input = cm_episode_input_new ();
      w->trace = cm_trace_new ();
      w->why = cm_trace_new ();
      w->parser = json_parser_new_immutable ();
      w->out = g_string_sized_new (4096);
      w->log = g_string_sized_new (512);
    }
  s->started_us = g_get_monotonic_time ();
  s->started = TRUE;
  for (guint i = 0; i < s->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (s->workers, i);
      char name[16];
      g_snprintf (name, sizeof name, "cm-serve-%u", i);
      w->thread = g_thread_new (name, worker_main, w);
    }
  g_mutex_lock (&s->lock);
  while (s->n_ready < s->workers->len)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
  if (s->start_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&s->start_error));
      cm_server_stop (s);
      cm_server_wait (s);
      return FALSE;
    }
  return TRUE;
}

guint
cm_server_get_port (const CmServer *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->port;
}

static gboolean
quit_worker (gpointer data)
{
  Worker *w = data;
  if (w->soup != NULL)
    soup_server_disconnect (w->soup);
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

/* Waits for the requests in flight (at most the time limit), then stops
 * every worker. */
static gpointer
stopper_main (gpointer data)
{
  CmServer *s = data;
  gint64 deadline = g_get_monotonic_time () + (gint64) s->opt.time_limit_ms * 1000;

  for (;;)
    {
      gint busy = 0;
      for (guint i = 0; i < s->workers->len; i++)
        busy += g_atomic_int_get (&((Worker *) g_ptr_array_index (s->workers, i))->in_flight);
      if (busy == 0 || g_get_monotonic_time () > deadline)
        break;
      g_usleep (10 * 1000);
    }
  for (guint i = 0; i < s->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (s->workers, i);
      if (w->context != NULL)
        g_main_context_invoke (w->context, quit_worker, w);
    }
  return NULL;
}

void
cm_server_stop (CmServer *s)
{
  g_return_if_fail (s != NULL);
  g_mutex_lock (&s->lock);
  if (s->started && !g_atomic_int_get (&s->stopping))
    {
      g_atomic_int_set (&s->stopping, 1);
      s->stopper = g_thread_new ("cm-serve-stop", stopper_main, s);
    }
  g_mutex_unlock (&s->lock);
}

void
cm_server_wait (CmServer *s)
{
  GThread *stopper;

  g_return_if_fail (s != NULL);
  for (guint i = 0; i < s->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (s->workers, i);
      if (w->thread != NULL)
        g_thread_join (g_steal_pointer (&w->thread));
    }
  g_mutex_lock (&s->lock);
  stopper = g_steal_pointer (&s->stopper);
  g_mutex_unlock (&s->lock);
  if (stopper != NULL)
    g_thread_join (stopper);
}

void
cm_server_free (CmServer *s)
{
  if (s == NULL)
    return;
  if (s->started)
    {
      cm_server_stop (s);
      cm_server_wait (s);
    }
  g_ptr_array_unref (s->workers);
  g_ptr_array_unref (s->schemes);
  g_clear_pointer (&s->policy, cm_policy_unref);
  g_clear_error (&s->start_error);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_mutex_clear (&s->log_lock);
  g_free (s->bind_address);
  g_free (s->token);
  g_free (s);
}
