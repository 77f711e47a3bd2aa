/* fuzz-common.h — what every libFuzzer target of tests/fuzz/ shares: GLib
 * messages turned into crashes, the fixture folder, scratch folders.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Data must never trigger a precondition check or a warning (STYLE.md §4,
 * §7), so a critical or a warning aborts and libFuzzer keeps the input;
 * debug and info messages are dropped. */
#pragma once

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0)
      fprintf (stderr, "fuzz: GLib message at level 0x%x: %.*s\n", level,
               fields[i].length < 0 ? (int) strlen (fields[i].value)
                                    : (int) fields[i].length,
               (const char *) fields[i].value);
  abort ();
}

/* Call once from LLVMFuzzerInitialize. */
static inline void
fuzz_init (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  /* no compiled-scheme cache is read or written */
  g_setenv ("CASEMIX_NO_PACK", "1", TRUE);
}

/* $CM_TEST_DATA/<rel>, else the source tree's tests/data (compiled in). */
static inline char *
fuzz_data_path (const char *rel)
{
  const char *dir = g_getenv ("CM_TEST_DATA");

  return g_build_filename (dir != NULL && *dir ? dir : CM_FUZZ_DATA, rel, NULL);
}

/* Removes @dir and everything in it. */
static inline void
fuzz_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR)
          && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        fuzz_remove_dir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* Scratch folders, removed when the process exits normally (a crash
 * leaves them for a look). */
static GPtrArray *fuzz_tmp_dirs;

static inline void
fuzz_remove_tmp_dirs (void)
{
  for (guint i = 0; fuzz_tmp_dirs != NULL && i < fuzz_tmp_dirs->len; i++)
    fuzz_remove_dir (fuzz_tmp_dirs->pdata[i]);
}

/* A fresh scratch folder, in RAM when /dev/shm is there. */
static inline char *
fuzz_make_tmp_dir (const char *tmpl)
{
  g_autoptr (GError) error = NULL;
  char *dir = NULL;

  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    {
      g_autofree char *path = g_build_filename ("/dev/shm", tmpl, NULL);
      if (g_mkdtemp (path) != NULL)
        dir = g_steal_pointer (&path);
    }
  if (dir == NULL)
    dir = g_dir_make_tmp (tmpl, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "fuzz: no scratch folder: %s\n",
               error ? error->message : g_strerror (errno));
      abort ();
    }
  if (fuzz_tmp_dirs == NULL)
    {
      fuzz_tmp_dirs = g_ptr_array_new ();
      atexit (fuzz_remove_tmp_dirs);
    }
  g_ptr_array_add (fuzz_tmp_dirs, dir);
  return dir;
}

static inline void
fuzz_write_file (const char *dir, const char *name, const void *data,
                 gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents (path, data, (gssize) len, &error))
    {
      fprintf (stderr, "fuzz: %s\n", error->message);
      abort ();
    }
}

/* Checks that libFuzzer should stop on: a failed invariant is a crash. */
#define FUZZ_CHECK(cond, ...) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      { \
        fprintf (stderr, "fuzz: check failed: %s: ", #cond); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
        abort (); \
      } \
  } G_STMT_END
