/* test-server.c — `casemix serve` end to end: the service is started on a
 * free loopback port, sent good and bad requests over plain sockets, and
 * stopped with SIGTERM; the examples of docs/api.md are replayed; the
 * access log is read back.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "test-common.h"

/* --- the service --------------------------------------------------------- */

typedef struct {
  GPid pid;
  guint port;
  int out_fd;
  char *dir;        /* temporary folder: token, access log */
  char *log_path;
} Service;

static void
service_start (Service *sv, const char *const *extra)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  GString *line = g_string_new (NULL);
  char c;

  if (bin == NULL)
    cr_skip_test ("CM_CASEMIX_BIN not set");
  memset (sv, 0, sizeof *sv);
  sv->dir = g_dir_make_tmp ("cm-serve-XXXXXX", &error);
  cr_assert_not_null (sv->dir);
  token = g_build_filename (sv->dir, "token.txt", NULL);
  cr_assert (g_file_set_contents (token, "demo-token\n", -1, NULL));
  sv->log_path = g_build_filename (sv->dir, "access.log", NULL);

  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup ("--port=0"));
  g_ptr_array_add (argv, g_strdup ("--threads=2"));
  g_ptr_array_add (argv, g_strdup_printf ("--token-file=%s", token));
  g_ptr_array_add (argv, g_strdup_printf ("--access-log=%s", sv->log_path));
  for (guint i = 0; extra[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL,
                                       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                       &sv->pid, NULL, &sv->out_fd, NULL, &error),
             "%s", error ? error->message : "");
  /* "casemix serve: listening on http://127.0.0.1:PORT/ …" */
  while (read (sv->out_fd, &c, 1) == 1 && c != '\n')
    g_string_append_c (line, c);
  {
    const char *p = strstr (line->str, "127.0.0.1:");
    cr_assert_not_null (p, "the service did not start: '%s'", line->str);
    sv->port = (guint) atoi (p + 10);
  }
  g_string_free (line, TRUE);
}

/* SIGTERM, then the exit status and the rest of standard output. */
static int
service_stop (Service *sv, char **out)
{
  GString *s = g_string_new (NULL);
  char buf[256];
  ssize_t n;
  int status = 0;

  kill (sv->pid, SIGTERM);
  while ((n = read (sv->out_fd, buf, sizeof buf)) > 0)
    g_string_append_len (s, buf, n);
  waitpid (sv->pid, &status, 0);
  close (sv->out_fd);
  g_spawn_close_pid (sv->pid);
  if (out)
    *out = g_string_free (s, FALSE);
  else
    g_string_free (s, TRUE);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
service_cleanup (Service *sv)
{
  g_autofree char *token = g_build_filename (sv->dir, "token.txt", NULL);
  g_unlink (token);
  g_unlink (sv->log_path);
  g_rmdir (sv->dir);
  g_free (sv->dir);
  g_free (sv->log_path);
}

/* --- a minimal HTTP/1.1 client ------------------------------------------ */

typedef struct {
  int status;
  char *headers;  /* the header block, lower-cased */
  GString *body;  /* de-chunked */
} Reply;

static void
reply_clear (Reply *r)
{
  g_free (r->headers);
  if (r->body)
    g_string_free (r->body, TRUE);
  memset (r, 0, sizeof *r);
}

static int
connect_port (guint port)
{
  struct sockaddr_in sa = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  cr_assert_eq (connect (fd, (struct sockaddr *) &sa, sizeof sa), 0, "connect: %s",
                g_strerror (errno));
  return fd;
}

static void
write_all (int fd, const char *p, gsize n)
{
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);
      cr_assert_gt (w, 0, "write: %s", g_strerror (errno));
      p += w;
      n -= (gsize) w;
    }
}

/* Reads a whole response (the connection closes after it). */
static void
read_reply (int fd, Reply *r)
{
  GString *raw = g_string_new (NULL);
  char buf[65536];
  ssize_t n;
  char *end;
  gsize head;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (raw, buf, n);
  close (fd);
  end = strstr (raw->str, "\r\n\r\n");
  cr_assert_not_null (end, "no complete response: '%s'", raw->str);
  head = (gsize) (end - raw->str) + 4;
  r->status = atoi (raw->str + 9);
  r->headers = g_ascii_strdown (raw->str, (gssize) head);
  r->body = g_string_new (NULL);
  if (strstr (r->headers, "transfer-encoding: chunked") != NULL)
    {
      const char *p = raw->str + head;
      for (;;)
        {
          char *after;
          gsize size = (gsize) strtoul (p, &after, 16);
          p = strstr (after, "\r\n") + 2;
          if (size == 0)
            break;
          g_string_append_len (r->body, p, (gssize) size);
          p += size + 2;
        }
    }
  else
    g_string_append_len (r->body, raw->str + head, (gssize) (raw->len - head));
  g_string_free (raw, TRUE);
}

/* Sends @request (its head lines without the final blank line; @body may
 * be NULL) with Content-Length and Connection: close. */
static void
http (guint port, const char *head, const char *body, Reply *r)
{
  g_autoptr (GString) req = g_string_new (head);
  int fd = connect_port (port);

  while (req->len > 0 && (req->str[req->len - 1] == '\n' || req->str[req->len - 1] == '\r'))
    g_string_truncate (req, req->len - 1);
  g_string_append (req, "\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  if (body != NULL)
    g_string_append_printf (req, "Content-Length: %zu\r\n", strlen (body));
  g_string_append (req, "\r\n");
  if (body != NULL)
    g_string_append (req, body);
  write_all (fd, req->str, req->len);
  read_reply (fd, r);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;

  cr_assert (json_parser_load_from_data (p, text, -1, &error), "not JSON (%s): %s",
             error ? error->message : "", text);
  return json_node_copy (json_parser_get_root (p));
}

/* --- JSON subset matching (docs/api.md, top) ----------------------------- */

static gboolean
json_matches (JsonNode *want, JsonNode *got, GString *where)
{
  if (JSON_NODE_HOLDS_VALUE (want) && json_node_get_value_type (want) == G_TYPE_STRING
      && strcmp (json_node_get_string (want), "*") == 0)
    return got != NULL;
  if (got == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_OBJECT (want))
    {
      JsonObjectIter it;
      const char *key;
      JsonNode *w;
      if (!JSON_NODE_HOLDS_OBJECT (got))
        return FALSE;
      json_object_iter_init (&it, json_node_get_object (want));
      while (json_object_iter_next (&it, &key, &w))
        {
          gsize len = where->len;
          g_string_append_printf (where, ".%s", key);
          if (!json_matches (w, json_object_get_member (json_node_get_object (got), key),
                             where))
            return FALSE;
          g_string_truncate (where, len);
        }
      return TRUE;
    }
  if (JSON_NODE_HOLDS_ARRAY (want))
    {
      JsonArray *wa = json_node_get_array (want), *ga;
      guint wn = json_array_get_length (wa), gn;
      gboolean open = FALSE;
      if (!JSON_NODE_HOLDS_ARRAY (got))
        return FALSE;
      ga = json_node_get_array (got);
      gn = json_array_get_length (ga);
      if (wn > 0)
        {
          JsonNode *last = json_array_get_element (wa, wn - 1);
          if (JSON_NODE_HOLDS_VALUE (last) && json_node_get_value_type (last) == G_TYPE_STRING
              && strcmp (json_node_get_string (last), "…") == 0)
            {
              open = TRUE;
              wn--;
            }
        }
      if (open ? gn < wn : gn != wn)
        {
          g_string_append_printf (where, " (%u elements, expected %s%u)", gn,
                                  open ? "at least " : "", wn);
          return FALSE;
        }
      for (guint i = 0; i < wn; i++)
        {
          gsize len = where->len;
          g_string_append_printf (where, "[%u]", i);
          if (!json_matches (json_array_get_element (wa, i), json_array_get_element (ga, i),
                             where))
            return FALSE;
          g_string_truncate (where, len);
        }
      return TRUE;
    }
  return json_node_equal (want, got);
}

static void
assert_json_matches (const char *want_text, const char *got_text, const char *desc)
{
  g_autoptr (JsonNode) want = parse_json (want_text);
  g_autoptr (JsonNode) got = parse_json (got_text);
  g_autoptr (GString) where = g_string_new ("$");

  cr_assert (json_matches (want, got, where), "%s: differs at %s\nexpected: %s\ngot: %s",
             desc, where->str, want_text, got_text);
}

/* --- docs/api.md --------------------------------------------------------- */

typedef struct {
  char *request;      /* the http block */
  char *expected;     /* the json / ndjson block */
  gboolean ndjson;
  int status;
  guint line;         /* of the http block in api.md */
} Example;

static GPtrArray *
read_examples (void)
{
  g_autofree char *path = test_data_path ("../../docs/api.md");
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new ();
  Example *cur = NULL;

  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      gboolean http_block = strcmp (lines[i], "```http") == 0;
      gboolean resp_block = g_str_has_prefix (lines[i], "```json status=")
                            || g_str_has_prefix (lines[i], "```ndjson status=");
      GString *block;
      guint start = i;

      if (!http_block && !resp_block)
        continue;
      block = g_string_new (NULL);
      for (i++; lines[i] && strcmp (lines[i], "```") != 0; i++)
        g_string_append_printf (block, "%s\n", lines[i]);
      if (http_block)
        {
          cur = g_new0 (Example, 1);
          cur->request = g_string_free (block, FALSE);
          cur->line = start + 1;
        }
      else
        {
          cr_assert_not_null (cur, "api.md:%u: a response block without request", start + 1);
          cur->ndjson = lines[start][3] == 'n';
          cur->status = atoi (strchr (lines[start], '=') + 1);
          cur->expected = g_string_free (block, FALSE);
          g_ptr_array_add (out, cur);
          cur = NULL;
        }
      if (lines[i] == NULL)
        break;
    }
  return out;
}

/* Replays one example: request line, headers, blank line, body. */
static void
replay (guint port, const Example *ex)
{
  const char *blank = strstr (ex->request, "\n\n");
  g_autofree char *head = blank ? g_strndup (ex->request, (gsize) (blank - ex->request))
                                : g_strdup (ex->request);
  g_autofree char *body = blank ? g_strdup (blank + 2) : NULL;
  g_autofree char *desc = g_strdup_printf ("docs/api.md:%u", ex->line);
  g_autoptr (GString) crlf = g_string_new (NULL);
  g_auto (GStrv) hl = g_strsplit (head, "\n", -1);
  Reply r = { 0 };

  for (guint i = 0; hl[i]; i++)
    g_string_append_printf (crlf, "%s%s", i ? "\r\n" : "", hl[i]);
  if (body != NULL)
    g_strchomp (body);
  http (port, crlf->str, body && *body ? body : NULL, &r);
  cr_assert_eq (r.status, ex->status, "%s: status %d, expected %d: %s", desc, r.status,
                ex->status, r.body->str);
  if (!ex->ndjson)
    assert_json_matches (ex->expected, r.body->str, desc);
  else
    {
      g_auto (GStrv) want = g_strsplit (ex->expected, "\n", -1);
      g_auto (GStrv) got = g_strsplit (r.body->str, "\n", -1);
      guint nw = g_strv_length (want), ng = g_strv_length (got);
      /* both end with an empty item after the last LF */
      cr_assert_eq (ng, nw, "%s: %u lines, expected %u:\n%s", desc, ng - 1, nw - 1,
                    r.body->str);
      for (guint i = 0; i + 1 < nw; i++)
        assert_json_matches (want[i], got[i], desc);
    }
  reply_clear (&r);
}

static const char *const doc_service[] = {
  "--scheme=chs-drg-3.0", "--scheme=dip-cn-national-3.0", "--policy=zhuzhou", NULL
};

/* Every example of docs/api.md, against the service of its §1. */
Test (server, docs_examples, .timeout = 120)
{
  g_autoptr (GPtrArray) examples = read_examples ();
  Service sv;
  g_autofree char *out = NULL;

  cr_assert_geq (examples->len, 12, "docs/api.md has %u examples", examples->len);
  service_start (&sv, doc_service);
  for (guint i = 0; i < examples->len; i++)
    replay (sv.port, g_ptr_array_index (examples, i));
  cr_assert_eq (service_stop (&sv, &out), 0);
  service_cleanup (&sv);
  for (guint i = 0; i < examples->len; i++)
    {
      Example *ex = g_ptr_array_index (examples, i);
      g_free (ex->request);
      g_free (ex->expected);
      g_free (ex);
    }
}

/* --- good and bad requests ----------------------------------------------- */

#define AUTH "Authorization: Bearer demo-token\r\n"
#define JSON_CT "Content-Type: application/json\r\n"
#define EPISODE(extra) \
  "{\"episode_id\":\"E1\",\"patient_id\":\"PSECRET1\",\"hospital_id\":\"HSECRET\"," \
  "\"hospital_level\":3,\"county_id\":\"430102\",\"insurance_type\":\"employee\"," \
  "\"insured_region\":\"local\",\"sex\":1,\"age_years\":50," \
  "\"admit_date\":\"2024-03-01\",\"discharge_date\":\"2024-03-05\",\"los_days\":4," \
  "\"dept\":\"0300\",\"discharge_status\":1,\"icu_hours\":0," \
  "\"diagnoses\":[\"A40.900\",\"I48.301\"],\"procedures\":[]," \
  "\"total_cost\":\"12000.00\",\"out_of_catalogue_cost\":\"0.00\"," \
  "\"patient_copay\":\"1000.00\",\"fund_paid_ffs\":\"9000.00\"" extra "}"

typedef struct {
  const char *desc;
  const char *head;       /* request line and headers, CRLF-separated */
  const char *body;       /* NULL: none */
  int status;
  const char *expect;     /* JSON subset of the answer, NULL: not checked */
} RequestCase;

static RequestCase request_cases[] = {
  { "one episode", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT, EPISODE (""), 200,
    "{\"episode_id\":\"E1\",\"result\":{\"family\":\"DRG\",\"status\":\"SUCCESS\",\"drg\":\"SR13\"}}" },
  { "trace by member", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (",\"trace\":true"), 200,
    "{\"trace\":{\"episode_id\":\"E1\",\"steps\":[{\"kind\":\"input\"},\"…\"]}}" },
  { "why not by query", "POST /v1/group?why_not=SR11 HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (""), 200, "{\"why_not\":{\"target\":\"SR11\",\"verdict\":\"blocked\"}}" },
  { "DIP scheme by member", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (",\"scheme\":\"dip-cn-national-3.0\""), 200,
    "{\"scheme\":\"dip-cn-national-3.0\",\"result\":{\"family\":\"DIP\"}}" },
  { "health without token", "GET /v1/health HTTP/1.1\r\n", NULL, 200,
    "{\"status\":\"ok\",\"schemes\":2,\"policy\":false}" },
  { "schemes", "GET /v1/schemes HTTP/1.1\r\n" AUTH, NULL, 200,
    "{\"schemes\":[{\"id\":\"chs-drg-3.0\",\"default\":true},{\"id\":\"dip-cn-national-3.0\"}],\"policy\":null}" },
  { "no token", "POST /v1/group HTTP/1.1\r\n" JSON_CT, EPISODE (""), 401,
    "{\"error\":{\"code\":\"unauthorized\"}}" },
  { "wrong token", "POST /v1/group HTTP/1.1\r\nAuthorization: Bearer demo-tokem\r\n" JSON_CT,
    EPISODE (""), 401, "{\"error\":{\"code\":\"unauthorized\"}}" },
  { "malformed JSON", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT, "{\"a\":", 400,
    "{\"error\":{\"code\":\"malformed_json\"}}" },
  { "an array to /v1/group", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT, "[]", 400,
    "{\"error\":{\"code\":\"not_an_object\"}}" },
  { "missing field", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT, "{\"episode_id\":\"E1\"}", 422,
    "{\"error\":{\"code\":\"invalid_episode\",\"field\":\"patient_id\"}}" },
  { "field refused by the validator", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (",\"birth_weight_g\":3000"), 422,
    "{\"error\":{\"code\":\"invalid_episode\",\"field\":\"birth_weight_g\"}}" },
  { "unknown member", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT, EPISODE (",\"icd\":\"A40\""),
    422, "{\"error\":{\"code\":\"invalid_episode\",\"field\":\"icd\"}}" },
  { "trace not a boolean", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (",\"trace\":\"yes\""), 422, "{\"error\":{\"code\":\"invalid_option\",\"field\":\"trace\"}}" },
  { "unknown why-not target", "POST /v1/group?why_not=ZZZ9 HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (""), 422, "{\"error\":{\"code\":\"unknown_target\",\"field\":\"why_not\"}}" },
  { "unknown scheme", "POST /v1/group?scheme=nope HTTP/1.1\r\n" AUTH JSON_CT, EPISODE (""), 422,
    "{\"error\":{\"code\":\"unknown_scheme\",\"field\":\"scheme\"}}" },
  { "wrong content type", "POST /v1/group HTTP/1.1\r\n" AUTH "Content-Type: text/plain\r\n",
    EPISODE (""), 415, "{\"error\":{\"code\":\"unsupported_media_type\"}}" },
  { "no such endpoint", "GET /v2/group HTTP/1.1\r\n" AUTH, NULL, 404,
    "{\"error\":{\"code\":\"not_found\"}}" },
  { "wrong method", "GET /v1/group HTTP/1.1\r\n" AUTH, NULL, 405,
    "{\"error\":{\"code\":\"method_not_allowed\"}}" },
  { "body over --max-body", "POST /v1/group HTTP/1.1\r\n" AUTH JSON_CT,
    EPISODE (",\"per_diem_category\":\"" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
    413, "{\"error\":{\"code\":\"body_too_large\"}}" },
  { "batch over --max-batch", "POST /v1/group:batch HTTP/1.1\r\n" AUTH JSON_CT,
    "[1,2,3,4]", 413, "{\"error\":{\"code\":\"batch_too_large\"}}" },
  { "batch not an array", "POST /v1/group:batch HTTP/1.1\r\n" AUTH JSON_CT, "{}", 400,
    "{\"error\":{\"code\":\"not_an_array\"}}" },
  { "batch of another type", "POST /v1/group:batch HTTP/1.1\r\n" AUTH "Content-Type: text/xml\r\n",
    "<a/>", 415, "{\"error\":{\"code\":\"unsupported_media_type\"}}" },
};

static const char *const small_service[] = {
  "--scheme=chs-drg-3.0", "--scheme=dip-cn-national-3.0", "--max-body=700",
  "--max-batch=3", NULL
};

/* One service for the table: every request in turn, then the access log. */
Test (server, good_and_bad_requests, .timeout = 120)
{
  Service sv;
  g_autofree char *out = NULL;
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  guint n_lines = 0;

  service_start (&sv, small_service);
  for (guint i = 0; i < G_N_ELEMENTS (request_cases); i++)
    {
      const RequestCase *c = &request_cases[i];
      Reply r = { 0 };

      http (sv.port, c->head, c->body, &r);
      cr_assert_eq (r.status, c->status, "%s: status %d, expected %d: %s", c->desc,
                    r.status, c->status, r.body->str);
      cr_assert (strstr (r.headers, "content-type: application/json") != NULL,
                 "%s: %s", c->desc, r.headers);
      if (c->expect)
        assert_json_matches (c->expect, r.body->str, c->desc);
      if (c->status == 401)
        cr_assert (strstr (r.headers, "www-authenticate: bearer") != NULL, "%s", c->desc);
      if (c->status == 405)
        cr_assert (strstr (r.headers, "allow: post") != NULL, "%s", c->desc);
      reply_clear (&r);
    }

  /* a body without Content-Length: 411 before anything is read */
  {
    int fd = connect_port (sv.port);
    const char *req = "POST /v1/group HTTP/1.1\r\nHost: x\r\n" AUTH JSON_CT
                      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      "5\r\n{\"a\":\r\n0\r\n\r\n";
    Reply r = { 0 };
    write_all (fd, req, strlen (req));
    read_reply (fd, &r);
    cr_assert_eq (r.status, 411, "chunked body: %d %s", r.status, r.body->str);
    reply_clear (&r);
  }
  /* keep-alive: two requests on one connection */
  {
    int fd = connect_port (sv.port);
    const char *req1 = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *req2 = "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    Reply r = { 0 };
    write_all (fd, req1, strlen (req1));
    write_all (fd, req2, strlen (req2));
    read_reply (fd, &r);
    cr_assert_eq (r.status, 200);
    cr_assert (strstr (r.body->str, "HTTP/1.1 200") != NULL, "two answers on one "
               "connection: %s", r.body->str);
    reply_clear (&r);
  }

  cr_assert_eq (service_stop (&sv, &out), 0, "graceful stop: %s", out);
  cr_assert (strstr (out, "casemix serve: stopped") != NULL, "%s", out);

  /* the access log: one JSON line per request, ids and codes only */
  cr_assert (g_file_get_contents (sv.log_path, &log, NULL, NULL));
  cr_assert (strstr (log, "PSECRET1") == NULL, "the patient id is not logged");
  cr_assert (strstr (log, "HSECRET") == NULL, "the hospital id is not logged");
  cr_assert (strstr (log, "A40.900") == NULL, "diagnoses are not logged");
  cr_assert (strstr (log, "12000.00") == NULL, "money is not logged");
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      {
        g_autoptr (JsonNode) n = parse_json (lines[i]);
        JsonObject *o = json_node_get_object (n);
        cr_assert (json_object_has_member (o, "status") && json_object_has_member (o, "us")
                   && json_object_has_member (o, "path"), "%s", lines[i]);
        n_lines++;
      }
  cr_assert_geq (n_lines, G_N_ELEMENTS (request_cases) + 1, "%u log lines", n_lines);
  cr_assert (strstr (log, "\"episode_id\":\"E1\"") != NULL);
  cr_assert (strstr (log, "\"group\":\"SR13\"") != NULL);
  cr_assert (strstr (log, "\"error\":\"unauthorized\"") != NULL);
  service_cleanup (&sv);
}

/* --- batches and the graceful stop --------------------------------------- */

/* A CSV batch of @n synthetic episodes (casemix sample, seeded). */
static char *
sample_csv (guint n)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *count = g_strdup_printf ("%u", n);
  const char *argv[] = { bin, "sample", "--scheme", "chs-drg-3.0", "-n", count,
                         "--seed", "7", NULL };
  char *out = NULL;
  int status;

  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                           NULL, &out, NULL, &status, NULL));
  cr_assert (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
check_batch_answer (const char *body, guint n, const char *desc)
{
  g_auto (GStrv) lines = g_strsplit (body, "\n", -1);
  guint nl = g_strv_length (lines);
  g_autoptr (JsonNode) summary = NULL;

  cr_assert_eq (nl, n + 2, "%s: %u lines for %u episodes", desc, nl, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (JsonNode) node = parse_json (lines[i]);
      JsonObject *o = json_node_get_object (node);
      cr_assert_eq (json_object_get_int_member (o, "index"), i, "%s: in input order", desc);
      cr_assert (json_object_has_member (o, "result"), "%s: %s", desc, lines[i]);
    }
  summary = parse_json (lines[n]);
  assert_json_matches ("{\"summary\":{\"complete\":true,\"errors\":0}}", lines[n], desc);
  cr_assert_eq (json_object_get_int_member (
                  json_object_get_object_member (json_node_get_object (summary), "summary"),
                  "grouped"), n, "%s", desc);
}

Test (server, batch_streams_every_episode_in_order, .timeout = 120)
{
  static const char *const extra[] = { "--scheme=chs-drg-3.0", NULL };
  g_autofree char *csv = sample_csv (3000);
  g_autofree char *out = NULL;
  Service sv;
  Reply r = { 0 };

  service_start (&sv, extra);
  http (sv.port, "POST /v1/group:batch HTTP/1.1\r\n" AUTH "Content-Type: text/csv\r\n",
        csv, &r);
  cr_assert_eq (r.status, 200, "%s", r.body->str);
  cr_assert (strstr (r.headers, "transfer-encoding: chunked") != NULL, "streamed");
  cr_assert (strstr (r.headers, "application/x-ndjson") != NULL);
  check_batch_answer (r.body->str, 3000, "CSV batch");
  reply_clear (&r);
  cr_assert_eq (service_stop (&sv, &out), 0);
  service_cleanup (&sv);
}

/* SIGTERM while a batch streams: the batch is finished, then the service
 * stops and exits 0. */
Test (server, graceful_stop_finishes_the_batch, .timeout = 120)
{
  static const char *const extra[] = { "--scheme=chs-drg-3.0", "--threads=1", NULL };
  g_autofree char *csv = sample_csv (20000);
  g_autofree char *out = NULL;
  g_autoptr (GString) req = g_string_new (NULL);
  Service sv;
  Reply r = { 0 };
  char first[64];
  int fd;

  service_start (&sv, extra);
  fd = connect_port (sv.port);
  g_string_printf (req, "POST /v1/group:batch HTTP/1.1\r\nHost: x\r\n" AUTH
                   "Content-Type: text/csv\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n\r\n%s", strlen (csv), csv);
  write_all (fd, req->str, req->len);
  /* the answer has begun: stop the service now */
  cr_assert_eq (recv (fd, first, sizeof first, MSG_PEEK | MSG_WAITALL), (ssize_t) sizeof first);
  kill (sv.pid, SIGTERM);
  read_reply (fd, &r);
  cr_assert_eq (r.status, 200);
  check_batch_answer (r.body->str, 20000, "batch during the stop");
  reply_clear (&r);
  cr_assert_eq (service_stop (&sv, &out), 0, "exit status after SIGTERM");
  cr_assert (strstr (out, "stopping") != NULL && strstr (out, "stopped") != NULL, "%s", out);
  service_cleanup (&sv);
}

/* A port already in use is an error naming the address. */
Test (server, busy_port_is_reported)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = { 0 };
  socklen_t len = sizeof sa;
  g_autofree char *port = NULL, *err = NULL;
  int status;

  if (bin == NULL)
    cr_skip_test ("CM_CASEMIX_BIN not set");
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  cr_assert_eq (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0);
  cr_assert_eq (listen (fd, 1), 0);
  getsockname (fd, (struct sockaddr *) &sa, &len);
  port = g_strdup_printf ("--port=%u", ntohs (sa.sin_port));
  {
    const char *argv[] = { bin, "serve", "--scheme=chs-drg-3.0", port, NULL };
    cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                             NULL, NULL, NULL, &err, &status, NULL));
  }
  close (fd);
  cr_assert_eq (WEXITSTATUS (status), 1, "%s", err);
  cr_assert (strstr (err, "127.0.0.1:") != NULL, "%s", err);
}
