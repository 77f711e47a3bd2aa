/* cm-pipeline.c — the parallel, order-preserving batch pipeline.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Threads: the caller's thread reads (cutting the input into chunks at the
 * last LF of each block and counting lines), N workers parse and process
 * chunks, one writer emits them in sequence order. Chunks live in a ring
 * of `cap` slots; the reader waits when the ring is full, so at most `cap`
 * chunks (and their outputs) exist at any time. Chunk buffers are recycled,
 * so a warm pipeline allocates nothing per chunk either. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "cm-pipeline.h"

#define DEFAULT_CHUNK (1024 * 1024)

typedef enum { REC_ROW, REC_REJECT } RecKind;

typedef struct {
  guint64 line;
  guint64 hash;          /* episode id hash (REC_ROW) */
  const char *status;    /* REC_ROW */
  const char *id;        /* points into out: not used after writing */
  guint32 off, len;      /* in out (REC_ROW) or rej (REC_REJECT) */
  guint32 id_off, id_len;
  RecKind kind;
} Rec;

typedef struct {
  guint64 seq;
  guint64 first_line;    /* line number of buf[start] */
  char *buf;
  gsize len, cap, start;
  gboolean oversized;    /* a line too long to hold: one reject at first_line */
  gboolean done;
  gboolean stop;         /* sentinel for workers */
  GString *out;
  GString *rej;
  GArray *recs;
  GByteArray *payload;   /* ops->payload_size bytes per REC_ROW, in order */
  guint64 empty;
} Chunk;

typedef struct {
  const CmPipelineOptions *opt;
  const CmPipelineOps *ops;
  gpointer user_data;
  CmEpisodeParser *parser;
  FILE *out;
  FILE *rejects;
  CmPipelineStats *stats;

  GMutex lock;
  GCond space;
  GCond done;
  Chunk **ring;
  guint cap;
  guint64 n_submitted;
  guint64 n_written;
  gboolean eof;
  GPtrArray *free_chunks;
  GAsyncQueue *work;
  CmIdSet *ids;
  Chunk stop_marker;
} Pipeline;

void
cm_csv_append_field (GString *out, const char *s)
{
  if (strpbrk (s, ",\"\r\n") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      if (*s == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

static Chunk *
chunk_new (gsize cap)
{
  Chunk *c = g_new0 (Chunk, 1);
  c->cap = cap;
  c->buf = g_malloc (cap + 1);
  c->out = g_string_sized_new (cap / 4);
  c->rej = g_string_new (NULL);
  c->recs = g_array_new (FALSE, FALSE, sizeof (Rec));
  c->payload = g_byte_array_new ();
  return c;
}

static void
chunk_free (Chunk *c)
{
  if (c == NULL)
    return;
  g_free (c->buf);
  g_string_free (c->out, TRUE);
  g_string_free (c->rej, TRUE);
  g_array_unref (c->recs);
  g_byte_array_unref (c->payload);
  g_free (c);
}

static void
add_reject (Chunk *c, const CmReject *r)
{
  Rec rec = { 0 };
  char buf[CM_REJECT_MESSAGE_LEN + 64];

  cm_reject_format (r, buf, sizeof buf);
  rec.kind = REC_REJECT;
  rec.line = r->line;
  rec.off = (guint32) c->rej->len;
  g_string_append (c->rej, buf);
  rec.len = (guint32) (c->rej->len - rec.off);
  g_array_append_val (c->recs, rec);
}

/* Worker side: every line of a chunk. */
static void
process_chunk (Pipeline *pl, gpointer worker, Chunk *c, CmEpisode *ep)
{
  char *p = c->buf + c->start;
  char *end = c->buf + c->len;
  guint64 line = c->first_line;
  CmReject rej;

  if (c->oversized)
    {
      memset (&rej, 0, sizeof rej);
      rej.line = c->first_line;
      rej.key = "field_length";
      g_snprintf (rej.message, sizeof rej.message,
                  "line longer than %d bytes", CM_MAX_LINE_LEN);
      add_reject (c, &rej);
      return;
    }
  while (p < end)
    {
      char *nl = memchr (p, '\n', (gsize) (end - p));
      char *lend = nl ? nl : end;
      gsize llen = (gsize) (lend - p);

      if (nl && llen > 0 && p[llen - 1] == '\r')
        llen--;
      if (llen == 0)
        c->empty++;
      else if (llen > CM_MAX_LINE_LEN)
        {
          /* the same bound, key and message as CmEpisodeReader */
          memset (&rej, 0, sizeof rej);
          rej.line = line;
          rej.key = "field_length";
          g_snprintf (rej.message, sizeof rej.message,
                      "line longer than %d bytes", CM_MAX_LINE_LEN);
          add_reject (c, &rej);
        }
      else
        {
          p[llen] = '\0';
          if (cm_episode_parser_parse_line (pl->parser, p, llen, line, ep, &rej))
            {
              Rec rec = { 0 };
              rec.kind = REC_ROW;
              rec.line = line;
              rec.hash = cm_id_hash (ep->episode_id);
              rec.off = (guint32) c->out->len;
              if (pl->ops->payload_size > 0)
                {
                  gsize at = c->payload->len;
                  g_byte_array_set_size (c->payload, (guint) (at + pl->ops->payload_size));
                  memset (c->payload->data + at, 0, pl->ops->payload_size);
                  rec.status = pl->ops->process_payload (worker, ep, c->out,
                                                         c->payload->data + at);
                }
              else
                rec.status = pl->ops->process (worker, ep, c->out);
              rec.len = (guint32) (c->out->len - rec.off);
              /* the id stays in the chunk's buffer until it is written:
               * keep where it is, for a duplicate_id message */
              rec.id_off = (guint32) (ep->episode_id - c->buf);
              rec.id_len = (guint32) strlen (ep->episode_id);
              g_array_append_val (c->recs, rec);
            }
          else
            add_reject (c, &rej);
        }
      line++;
      p = lend + 1;
    }
}

static gpointer
worker_main (gpointer data)
{
  Pipeline *pl = data;
  gpointer worker = pl->ops->worker_new ? pl->ops->worker_new (pl->user_data)
                                        : pl->user_data;
  CmEpisode *ep = g_new0 (CmEpisode, 1);

  for (;;)
    {
      Chunk *c = g_async_queue_pop (pl->work);
      if (c->stop)
        break;
      process_chunk (pl, worker, c, ep);
      g_mutex_lock (&pl->lock);
      c->done = TRUE;
      g_cond_broadcast (&pl->done);
      g_mutex_unlock (&pl->lock);
    }
  g_free (ep);
  if (pl->ops->worker_free)
    pl->ops->worker_free (worker);
  return NULL;
}

static void
count_status (CmPipelineStats *st, const char *status)
{
  guint i;
  for (i = 0; i < st->n_statuses; i++)
    if (st->status[i] == status || strcmp (st->status[i], status) == 0)
      {
        st->status_count[i]++;
        return;
      }
  if (i < CM_PIPELINE_MAX_STATUSES)
    {
      st->status[i] = status;
      st->status_count[i] = 1;
      st->n_statuses++;
    }
}

static void
write_reject (Pipeline *pl, guint64 line, const char *reason, gsize len)
{
  g_autofree char *r = g_strndup (reason, len);
  GString *row;

  pl->stats->rejected++;
  if (pl->rejects == NULL)
    return;
  row = g_string_sized_new (len + 24);
  g_string_printf (row, "%" G_GUINT64_FORMAT ",", line);
  cm_csv_append_field (row, r);
  g_string_append_c (row, '\n');
  fwrite (row->str, 1, row->len, pl->rejects);
  g_string_free (row, TRUE);
}

static void
write_chunk (Pipeline *pl, Chunk *c)
{
  CmPipelineStats *st = pl->stats;
  gsize run_start = 0, run_end = 0;  /* a run of rows contiguous in c->out */
  gsize row = 0;                     /* index of the row among REC_ROWs */
  gsize psize = pl->ops->payload_size;

  st->empty += c->empty;
  for (guint i = 0; i < c->recs->len; i++)
    {
      Rec *r = &g_array_index (c->recs, Rec, i);
      /* the id set is large and cold: ask for the slot 16 records ahead */
      if (i + 16 < c->recs->len && pl->opt->format == CM_INPUT_EPISODES)
        cm_id_set_prefetch (pl->ids, g_array_index (c->recs, Rec, i + 16).hash);
      gsize this_row = row;
      if (r->kind == REC_ROW)
        row++;
      if (r->kind == REC_ROW
          && (pl->opt->format != CM_INPUT_EPISODES
              || cm_id_set_add_hash (pl->ids, r->hash)))
        {
          st->accepted++;
          if (psize > 0 && pl->ops->written != NULL)
            pl->ops->written (pl->user_data, c->payload->data + this_row * psize);
          count_status (st, r->status);
          if (r->off != run_end)
            {
              fwrite (c->out->str + run_start, 1, run_end - run_start, pl->out);
              run_start = r->off;
            }
          run_end = (gsize) r->off + r->len;
          continue;
        }
      /* a reject: the rows before it go out first, in input order */
      fwrite (c->out->str + run_start, 1, run_end - run_start, pl->out);
      run_start = run_end = r->kind == REC_ROW ? (gsize) r->off + r->len : run_end;
      if (r->kind == REC_REJECT)
        write_reject (pl, r->line, c->rej->str + r->off, r->len);
      else
        {
          g_autofree char *msg = g_strdup_printf (
              "duplicate_id: episode_id %.*s is already used by an earlier record",
              (int) r->id_len, c->buf + r->id_off);
          write_reject (pl, r->line, msg, strlen (msg));
        }
    }
  fwrite (c->out->str + run_start, 1, run_end - run_start, pl->out);
}

static gpointer
writer_main (gpointer data)
{
  Pipeline *pl = data;

  for (guint64 seq = 0;; seq++)
    {
      Chunk *c;
      g_mutex_lock (&pl->lock);
      for (;;)
        {
          c = pl->ring[seq % pl->cap];
          if (c != NULL && c->seq == seq && c->done)
            break;
          if (pl->eof && seq >= pl->n_submitted)
            {
              g_mutex_unlock (&pl->lock);
              return NULL;
            }
          g_cond_wait (&pl->done, &pl->lock);
        }
      g_mutex_unlock (&pl->lock);

      write_chunk (pl, c);

      g_mutex_lock (&pl->lock);
      pl->ring[seq % pl->cap] = NULL;
      pl->n_written = seq + 1;
      g_ptr_array_add (pl->free_chunks, c);
      g_cond_broadcast (&pl->space);
      g_mutex_unlock (&pl->lock);
    }
}

static Chunk *
get_chunk (Pipeline *pl, gsize cap)
{
  Chunk *c;

  g_mutex_lock (&pl->lock);
  while (pl->n_submitted - pl->n_written >= pl->cap)
    g_cond_wait (&pl->space, &pl->lock);
  c = pl->free_chunks->len ? g_ptr_array_steal_index_fast (pl->free_chunks,
                                                           pl->free_chunks->len - 1)
                           : NULL;
  g_mutex_unlock (&pl->lock);
  if (c == NULL)
    c = chunk_new (cap);
  c->len = c->start = 0;
  c->oversized = c->done = c->stop = FALSE;
  c->empty = 0;
  g_string_truncate (c->out, 0);
  g_string_truncate (c->rej, 0);
  g_array_set_size (c->recs, 0);
  g_byte_array_set_size (c->payload, 0);
  return c;
}

static void
submit (Pipeline *pl, Chunk *c)
{
  g_mutex_lock (&pl->lock);
  c->seq = pl->n_submitted++;
  pl->ring[c->seq % pl->cap] = c;
  g_mutex_unlock (&pl->lock);
  g_async_queue_push (pl->work, c);
}

/* read() until @want bytes are in c->buf or EOF */
static gboolean
fill (int fd, Chunk *c, gsize want, gboolean *eof, const char *name,
      GError **error)
{
  while (c->len < want && !*eof)
    {
      ssize_t n = read (fd, c->buf + c->len, want - c->len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_set_error (error, CM_EPISODE_READER_ERROR,
                       CM_EPISODE_READER_ERROR_IO, "%s: %s", name,
                       g_strerror (errno));
          return FALSE;
        }
      if (n == 0)
        *eof = TRUE;
      c->len += (gsize) n;
    }
  return TRUE;
}

static guint64
count_lf (const char *p, gsize len)
{
  guint64 n = 0;
  const char *end = p + len;
  while ((p = memchr (p, '\n', (gsize) (end - p))) != NULL)
    {
      n++;
      p++;
    }
  return n;
}

/* The chunk starts inside a line too long to hold: read on to its LF,
 * keep what follows in @carry, and turn the chunk into one reject. */
static gboolean
swallow_long_line (int fd, Chunk *c, char *carry, gsize *carry_len,
                   gboolean *eof, gsize chunk_size, const char *name,
                   GError **error)
{
  for (;;)
    {
      char *nl = memchr (c->buf + c->start, '\n', c->len - c->start);
      if (nl)
        {
          *carry_len = c->len - (gsize) (nl + 1 - c->buf);
          memcpy (carry, nl + 1, *carry_len);
          break;
        }
      if (*eof)
        break;
      c->len = c->start = 0;
      if (!fill (fd, c, chunk_size, eof, name, error))
        return FALSE;
    }
  c->oversized = TRUE;
  c->len = c->start = 0;
  return TRUE;
}

static void
recycle (Pipeline *pl, Chunk *c)
{
  g_mutex_lock (&pl->lock);
  g_ptr_array_add (pl->free_chunks, c);
  g_mutex_unlock (&pl->lock);
}

/* Line 1: one BOM allowed before it. Returns FALSE on a fatal header. */
static gboolean
take_header (Pipeline *pl, Chunk *c, gboolean eof, GError **error)
{
  char *hl, *hend;
  gsize hlen;
  CmReject rej = { 0 };
  char save;

  if (c->len >= 3 && memcmp (c->buf, "\xEF\xBB\xBF", 3) == 0)
    c->start = 3;
  hl = c->buf + c->start;
  hend = memchr (hl, '\n', c->len - c->start);
  if (hend == NULL)
    hend = c->buf + c->len;
  hlen = (gsize) (hend - hl);
  if (hend < c->buf + c->len && hlen > 0 && hl[hlen - 1] == '\r')
    hlen--;
  save = hl[hlen];
  hl[hlen] = '\0';
  if (!cm_episode_parser_set_header (pl->parser, hl, hlen, &rej, error))
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      rej.line = 1;
      add_reject (c, &rej);
    }
  hl[hlen] = save;
  c->start = hend < c->buf + c->len ? (gsize) (hend - c->buf) + 1 : c->len;
  (void) eof;
  return TRUE;
}

gboolean
cm_pipeline_run (int fd, const CmPipelineOptions *opt, const CmPipelineOps *ops,
                 gpointer user_data, FILE *out, FILE *rejects,
                 CmPipelineStats *stats, GError **error)
{
  Pipeline pl = { 0 };
  g_autoptr (CmEpisodeParser) parser = NULL;
  g_autoptr (GPtrArray) workers = g_ptr_array_new ();
  GThread *writer;
  gsize chunk_size;
  guint n_threads;
  const char *name;
  gboolean eof = FALSE, ok = TRUE, first = TRUE;
  guint64 next_line = 1;
  g_autofree char *carry = NULL;
  gsize carry_len = 0;
  GError *local = NULL;

  g_return_val_if_fail (opt != NULL && ops != NULL, FALSE);
  g_return_val_if_fail (ops->payload_size > 0 ? ops->process_payload != NULL
                                              : ops->process != NULL, FALSE);
  g_return_val_if_fail (out != NULL && stats != NULL, FALSE);
  parser = cm_episode_parser_new (opt->format);
  chunk_size = MAX (opt->chunk_size ? opt->chunk_size : DEFAULT_CHUNK, (gsize) 4096);
  n_threads = CLAMP (opt->n_threads ? opt->n_threads : g_get_num_processors (), 1, 256);
  name = opt->input_name ? opt->input_name : "input";
  carry = g_malloc (chunk_size + 1);
  memset (stats, 0, sizeof *stats);

  pl.opt = opt;
  pl.ops = ops;
  pl.user_data = user_data;
  pl.parser = parser;
  pl.out = out;
  pl.rejects = rejects;
  pl.stats = stats;
  g_mutex_init (&pl.lock);
  g_cond_init (&pl.space);
  g_cond_init (&pl.done);
  pl.cap = n_threads * 3 + 2;
  pl.ring = g_new0 (Chunk *, pl.cap);
  pl.free_chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) chunk_free);
  pl.work = g_async_queue_new ();
  pl.ids = cm_id_set_new ();
  pl.stop_marker.stop = TRUE;

  if (rejects)
    fputs ("line,reason\n", rejects);
  for (guint i = 0; i < n_threads; i++)
    g_ptr_array_add (workers, g_thread_new ("cm-worker", worker_main, &pl));
  writer = g_thread_new ("cm-writer", writer_main, &pl);

  while (!(eof && carry_len == 0))
    {
      Chunk *c = get_chunk (&pl, chunk_size);
      char *lf;
      guint64 n;

      memcpy (c->buf, carry, carry_len);
      c->len = carry_len;
      carry_len = 0;
      if (!fill (fd, c, chunk_size, &eof, name, &local))
        {
          ok = FALSE;
          recycle (&pl, c);
          break;
        }
      if (c->len == 0)
        {
          recycle (&pl, c);
          break;
        }
      c->first_line = next_line;
      if (first)
        {
          first = FALSE;
          if (memchr (c->buf, '\n', c->len) == NULL && !eof)
            {
              /* a first line longer than a chunk is certainly no header:
               * episode lines are still read by position, OpenDRG lines
               * cannot be read at all (as in CmEpisodeReader) */
              if (opt->format == CM_INPUT_OPENDRG)
                {
                  g_set_error (&local, CM_EPISODE_READER_ERROR,
                               CM_EPISODE_READER_ERROR_HEADER,
                               "%s: OpenDRG header line is longer than %"
                               G_GSIZE_FORMAT " bytes", name, chunk_size);
                  ok = FALSE;
                  recycle (&pl, c);
                  break;
                }
              if (!swallow_long_line (fd, c, carry, &carry_len, &eof,
                                      chunk_size, name, &local))
                {
                  ok = FALSE;
                  recycle (&pl, c);
                  break;
                }
              stats->lines++;
              next_line = 2;
              submit (&pl, c);
              continue;
            }
          if (!take_header (&pl, c, eof, &local))
            {
              ok = FALSE;
              recycle (&pl, c);
              break;
            }
          stats->lines++;
          c->first_line = next_line = 2;
        }
      if (!eof)
        {
          lf = c->len > c->start
               ? memrchr (c->buf + c->start, '\n', c->len - c->start) : NULL;
          if (lf == NULL && c->len > c->start)
            {
              /* no line end in a whole chunk: an oversized line */
              if (!swallow_long_line (fd, c, carry, &carry_len, &eof,
                                      chunk_size, name, &local))
                {
                  ok = FALSE;
                  recycle (&pl, c);
                  break;
                }
              stats->lines++;
              next_line++;
              submit (&pl, c);
              continue;
            }
          if (lf != NULL)
            {
              carry_len = c->len - (gsize) (lf + 1 - c->buf);
              memcpy (carry, lf + 1, carry_len);
              c->len = (gsize) (lf + 1 - c->buf);
            }
        }
      n = count_lf (c->buf + c->start, c->len - c->start);
      if (c->len > c->start && c->buf[c->len - 1] != '\n')
        n++;  /* the last line, without LF */
      stats->lines += n;
      next_line += n;
      submit (&pl, c);
    }

  g_mutex_lock (&pl.lock);
  pl.eof = TRUE;
  g_cond_broadcast (&pl.done);
  g_mutex_unlock (&pl.lock);
  for (guint i = 0; i < n_threads; i++)
    g_async_queue_push (pl.work, &pl.stop_marker);
  for (guint i = 0; i < workers->len; i++)
    g_thread_join (workers->pdata[i]);
  g_thread_join (writer);

  g_free (pl.ring);
  g_ptr_array_unref (pl.free_chunks);
  g_async_queue_unref (pl.work);
  cm_id_set_free (pl.ids);
  g_mutex_clear (&pl.lock);
  g_cond_clear (&pl.space);
  g_cond_clear (&pl.done);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return ok;
}
