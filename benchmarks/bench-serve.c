/* bench-serve.c — loopback load test of `casemix serve`.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Starts the service (`casemix serve --port 0`), then drives POST
 * /v1/group at a fixed request rate over keep-alive connections for a
 * fixed time, and reports achieved requests/s, latency percentiles,
 * errors and the server's memory (VmRSS) over the run.
 *
 * The load is open-loop: request k is *due* at t0 + k / rate, whether or
 * not an earlier one has come back; it is sent on the first idle
 * connection, and its latency is counted from the time it was due (so a
 * stalled server shows as latency, not as a lower rate: no coordinated
 * omission). The bodies are the episodes of a seeded synthetic corpus
 * (`casemix sample`, no real data), sent in turn; every response must be
 * a 200 carrying a "result", or it counts as an error. A checksum of the
 * groups returned catches "fast but wrong".
 *
 * Usage: bench-serve CASEMIX_BIN [--scheme S] [--rate R] [--duration S]
 *          [--warmup S] [--connections C] [--server-threads T]
 *          [--episodes N] [--policy REGION]
 * Exit status 1 when a request failed or the target (--p99-ms at --rate,
 * default 2 ms at 5,000/s) was missed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

typedef struct {
  int fd;
  gboolean busy;
  double due;          /* when the request in flight was due */
  GString *in;
  gsize sent, to_send;
  const GString *req;
} Conn;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* user + system CPU seconds of @pid so far */
static double
cpu_s (pid_t pid)
{
  char path[64], buf[1024];
  unsigned long ut = 0, st = 0;
  FILE *f;
  char *p;

  g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  f = fopen (path, "r");
  if (f == NULL)
    return 0;
  if (fgets (buf, sizeof buf, f) == NULL)
    buf[0] = '\0';
  fclose (f);
  p = strrchr (buf, ')');
  if (p == NULL || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                           &ut, &st) != 2)
    return 0;
  return (double) (ut + st) / (double) sysconf (_SC_CLK_TCK);
}

static long
rss_kb (pid_t pid)
{
  char path[64], line[256];
  long kb = -1;
  FILE *f;

  g_snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  f = fopen (path, "r");
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "VmRSS:", 6) == 0)
      kb = strtol (line + 6, NULL, 10);
  fclose (f);
  return kb;
}

/* One CSV line of the episode format (no quoted fields in the synthetic
 * corpus) as the JSON body of POST /v1/group. */
static char *
csv_to_json (char **names, const char *line)
{
  g_auto (GStrv) f = g_strsplit (line, ",", -1);
  GString *o = g_string_new ("{");
  gboolean first = TRUE;

  if (g_strv_length (f) != 24)
    {
      g_string_free (o, TRUE);
      return NULL;
    }
  for (guint i = 0; i < 24; i++)
    {
      if (f[i][0] == '\0')
        continue;
      g_string_append_printf (o, "%s\"%s\":\"%s\"", first ? "" : ",", names[i], f[i]);
      first = FALSE;
    }
  g_string_append_c (o, '}');
  return g_string_free (o, FALSE);
}

static int
connect_to (guint port)
{
  struct sockaddr_in sa = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;

  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0 && errno != EINPROGRESS)
    {
      perror ("connect");
      exit (2);
    }
  return fd;
}

/* A complete response in @in: its length, or 0 when more is needed. */
static gsize
response_len (const GString *in, int *status)
{
  const char *end = g_strstr_len (in->str, (gssize) in->len, "\r\n\r\n");
  const char *cl;
  gsize head, body = 0;

  if (end == NULL)
    return 0;
  head = (gsize) (end - in->str) + 4;
  *status = atoi (in->str + 9);
  cl = g_strstr_len (in->str, (gssize) head, "Content-Length:");
  if (cl == NULL)
    cl = g_strstr_len (in->str, (gssize) head, "content-length:");
  if (cl != NULL)
    body = (gsize) strtoul (cl + 15, NULL, 10);
  return in->len >= head + body ? head + body : 0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
pct (const double *v, gsize n, double p)
{
  gsize i;
  if (n == 0)
    return 0;
  i = (gsize) (p * (double) (n - 1) + 0.5);
  return v[MIN (i, n - 1)];
}

int
main (int argc, char **argv)
{
  g_autofree char *scheme = g_strdup ("chs-drg-3.0");
  g_autofree char *policy = NULL;
  double rate = 5000, duration = 60, warmup = 3, p99_target = 2.0;
  gint connections = 32, server_threads = 0, n_episodes = 2000;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING, &scheme, "Scheme (default chs-drg-3.0)", "S" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &policy, "Also price (serve --policy)", "R" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Requests per second (default 5000)", "R" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds (default 60)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Unmeasured seconds first (default 3)", "S" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections, "Keep-alive connections (default 32)", "C" },
    { "server-threads", 0, 0, G_OPTION_ARG_INT, &server_threads, "serve --threads (default: cores)", "T" },
    { "episodes", 0, 0, G_OPTION_ARG_INT, &n_episodes, "Distinct episodes sent in turn (default 2000)", "N" },
    { "p99-ms", 0, 0, G_OPTION_ARG_DOUBLE, &p99_target, "Target p99 in ms (default 2)", "MS" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("CASEMIX_BIN");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) reqs = g_ptr_array_new ();
  g_autofree char *sample = NULL;
  g_autofree char *port_arg = NULL, *threads_arg = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) names = NULL;
  GString *out_line = g_string_new (NULL);
  int out_pipe[2], ep;
  pid_t server;
  guint port = 0;
  Conn *conns;
  GArray *lat = g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) (rate * duration * 1.1));
  guint64 errors = 0, sent = 0, next_req = 0, checksum = 0, backlog_max = 0;
  double t0, t_start, t_end, due_next, last_rss_t = 0;
  long rss_start = -1, rss_end = -1, rss_max = 0;
  double cpu_start = 0, cpu_end = 0;
  double load[3] = { 0 };
  gboolean measuring = FALSE;
  int status;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 2 || rate <= 0
      || connections < 1 || n_episodes < 1)
    {
      fprintf (stderr, "bench-serve: %s\n", error ? error->message : "usage: bench-serve CASEMIX_BIN [options]");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);

  /* the corpus */
  {
    g_autofree char *n = g_strdup_printf ("%d", n_episodes);
    char *sargv[] = { argv[1], (char *) "sample", (char *) "--scheme", scheme,
                      (char *) "-n", n, (char *) "--seed", (char *) "1", NULL };
    g_autofree char *err = NULL;
    int st;
    if (!g_spawn_sync (NULL, sargv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &sample,
                       &err, &st, &error) || !g_spawn_check_wait_status (st, &error))
      {
        fprintf (stderr, "bench-serve: casemix sample: %s\n%s", error->message, err ? err : "");
        return 2;
      }
  }
  lines = g_strsplit (sample, "\n", -1);
  names = g_strsplit (lines[0], ",", -1);
  for (guint i = 1; lines[i] && *lines[i]; i++)
    {
      g_autofree char *json = csv_to_json (names, lines[i]);
      GString *req;
      if (json == NULL)
        continue;
      req = g_string_new (NULL);
      g_string_printf (req, "POST /v1/group HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                       strlen (json), json);
      g_ptr_array_add (reqs, req);
    }
  if (reqs->len == 0)
    {
      fprintf (stderr, "bench-serve: no episode in the sample\n");
      return 2;
    }

  /* the server */
  if (pipe (out_pipe) != 0)
    return 2;
  threads_arg = g_strdup_printf ("--threads=%d", server_threads);
  server = fork ();
  if (server == 0)
    {
      char *policy_opt = policy ? g_strdup_printf ("--policy=%s", policy) : NULL;
      char *sargv[] = { argv[1], (char *) "serve", (char *) "--scheme", scheme,
                        (char *) "--port", (char *) "0", threads_arg,
                        (char *) "--access-log", (char *) "none", policy_opt, NULL };
      dup2 (out_pipe[1], 1);
      close (out_pipe[0]);
      execv (argv[1], sargv);
      _exit (127);
    }
  close (out_pipe[1]);
  {
    FILE *f = fdopen (out_pipe[0], "r");
    char buf[512];
    while (port == 0 && fgets (buf, sizeof buf, f))
      {
        const char *p = strstr (buf, "127.0.0.1:");
        if (p)
          port = (guint) atoi (p + 10);
      }
    if (port == 0)
      {
        fprintf (stderr, "bench-serve: the server did not start\n");
        return 2;
      }
  }

  /* the connections */
  ep = epoll_create1 (EPOLL_CLOEXEC);
  conns = g_new0 (Conn, (gsize) connections);
  for (int i = 0; i < connections; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (guint32) i };
      conns[i].fd = connect_to (port);
      conns[i].in = g_string_sized_new (4096);
      epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

  t0 = now_s ();
  t_start = t0 + warmup;
  t_end = t_start + duration;
  due_next = t0;
  for (;;)
    {
      double now = now_s ();
      struct epoll_event evs[64];
      int n, timeout_ms;
      guint64 backlog;

      if (!measuring && now >= t_start)
        {
          measuring = TRUE;
          rss_start = rss_kb (server);
          cpu_start = cpu_s (server);
        }
      if (now - last_rss_t >= 1.0)
        {
          long r = rss_kb (server);
          rss_max = MAX (rss_max, r);
          last_rss_t = now;
        }
      /* send what is due on idle connections */
      for (int i = 0; i < connections && due_next <= now && due_next < t_end; i++)
        {
          Conn *c = &conns[i];
          ssize_t w;
          if (c->busy)
            continue;
          c->req = g_ptr_array_index (reqs, next_req % reqs->len);
          next_req++;
          c->busy = TRUE;
          c->due = due_next;
          c->sent = 0;
          c->to_send = c->req->len;
          w = write (c->fd, c->req->str, c->to_send);
          if (w > 0)
            c->sent = (gsize) w;
          if (c->sent < c->to_send)
            {
              /* rare: finish the write blocking */
              int fl = fcntl (c->fd, F_GETFL);
              fcntl (c->fd, F_SETFL, fl & ~O_NONBLOCK);
              while (c->sent < c->to_send)
                {
                  w = write (c->fd, c->req->str + c->sent, c->to_send - c->sent);
                  if (w <= 0)
                    break;
                  c->sent += (gsize) w;
                }
              fcntl (c->fd, F_SETFL, fl);
            }
          sent++;
          due_next += 1.0 / rate;
        }
      backlog = due_next < now ? (guint64) ((now - due_next) * rate) : 0;
      backlog_max = MAX (backlog_max, backlog);
      if (due_next >= t_end)
        {
          gboolean any = FALSE;
          for (int i = 0; i < connections; i++)
            any |= conns[i].busy;
          if (!any)
            break;
        }
      /* sleep until the next request is due (never spin: the server
       * shares the machine) */
      {
        double wait = due_next > now ? due_next - now : 0.0;
        struct timespec ts;
        gboolean all_busy = TRUE;
        for (int i = 0; i < connections && all_busy; i++)
          all_busy = conns[i].busy;
        if (all_busy || due_next >= t_end)
          wait = 0.1;  /* nothing can be sent before a response comes */
        wait = MIN (wait, 0.1);
        ts.tv_sec = (time_t) wait;
        ts.tv_nsec = (long) ((wait - (double) ts.tv_sec) * 1e9);
        (void) timeout_ms;
        n = epoll_pwait2 (ep, evs, G_N_ELEMENTS (evs), &ts, NULL);
      }
      for (int k = 0; k < n; k++)
        {
          Conn *c = &conns[evs[k].data.u32];
          char buf[65536];
          ssize_t r = read (c->fd, buf, sizeof buf);
          gsize len;
          int st = 0;

          if (r <= 0)
            {
              if (r < 0 && errno == EAGAIN)
                continue;
              fprintf (stderr, "bench-serve: connection closed by the server\n");
              errors++;
              epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
              close (c->fd);
              c->fd = connect_to (port);
              {
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[k].data.u32 };
                epoll_ctl (ep, EPOLL_CTL_ADD, c->fd, &ev);
              }
              c->busy = FALSE;
              g_string_truncate (c->in, 0);
              continue;
            }
          g_string_append_len (c->in, buf, r);
          len = response_len (c->in, &st);
          if (len == 0)
            continue;
          {
            double t = now_s ();
            const char *res = g_strstr_len (c->in->str, (gssize) len, "\"result\":");
            if (st != 200 || res == NULL)
              {
                errors++;
                if (errors <= 3)
                  fprintf (stderr, "bench-serve: status %d: %.*s\n", st,
                           (int) MIN (len, 300), c->in->str);
              }
            else
              {
                /* FNV-1a of the result object, summed: order-independent */
                guint64 h = 14695981039346656037ULL;
                for (const char *q = res; q < c->in->str + len && *q != '}'; q++)
                  h = (h ^ (guchar) *q) * 1099511628211ULL;
                checksum += h;
              }
            if (measuring && c->due >= t_start)
              {
                double ms = (t - c->due) * 1000.0;
                g_array_append_val (lat, ms);
              }
            g_string_erase (c->in, 0, (gssize) len);
            c->busy = FALSE;
          }
        }
    }
  rss_end = rss_kb (server);
  cpu_end = cpu_s (server);
  if (getloadavg (load, 3) < 0)
    load[0] = load[1] = load[2] = 0;
  kill (server, SIGTERM);
  waitpid (server, &status, 0);

  g_array_sort (lat, cmp_double);
  {
    double *v = (double *) lat->data;
    gsize nl = lat->len;
    double achieved = (double) nl / duration;
    gboolean ok = errors == 0 && achieved >= rate * 0.99
                  && pct (v, nl, 0.99) <= p99_target;

    g_string_printf (out_line,
                     "serve__group_%.0fs: %" G_GUINT64_FORMAT " requests measured, "
                     "%.0f req/s (target %.0f), %d connections, errors %" G_GUINT64_FORMAT "\n"
                     "  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n"
                     "  server RSS kB: start %ld  end %ld  max %ld (growth %ld)\n"
                     "  server CPU %.1f us per request; load average %.2f %.2f %.2f on %d cores\n"
                     "  largest send backlog %" G_GUINT64_FORMAT " requests; result checksum %016"
                     G_GINT64_MODIFIER "x\n"
                     "  %s: p99 <= %.1f ms at >= %.0f req/s with zero errors\n",
                     duration, (guint64) nl, achieved, rate, connections, errors,
                     pct (v, nl, 0.50), pct (v, nl, 0.90), pct (v, nl, 0.99),
                     pct (v, nl, 0.999), nl ? v[nl - 1] : 0.0,
                     rss_start, rss_end, rss_max, rss_end - rss_start,
                     nl ? (cpu_end - cpu_start) * 1e6 / (double) nl : 0.0,
                     load[0], load[1], load[2], (int) sysconf (_SC_NPROCESSORS_ONLN),
                     backlog_max, checksum, ok ? "PASS" : "FAIL", p99_target, rate);
    fputs (out_line->str, stdout);
    (void) sent;
    return ok ? 0 : 1;
  }
}
